"""migpipe check-build end to end: exit codes 0/1/2, text and JSON output, config mode."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migpipe.cli import main
from tests.buildguard.conftest import EXAMPLES

POSITIVE = EXAMPLES / "positive" / "render-yaml-to-script"
NEGATIVE = EXAMPLES / "negative" / "echo-message"

PIPELINE = """\
version = 1

[project]
name = "acme"

[tool]
name = "prisma"
version = 6

[host]
name = "render"
service_name = "acme"
runtime = "{runtime}"
build_command = "npm ci && npm run build:render"
start_command = "npm run start"

[guards]
forbidden_commands = ["npm run db:reset"]
"""


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check-build", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--root", str(NEGATIVE), str(NEGATIVE / "package.json"))
    assert code == 0
    assert out.splitlines()[-1].startswith("ok:")


def test_finding_exits_1_and_names_the_chain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--root", str(POSITIVE), "render.yaml")
    assert code == 1
    assert out.splitlines()[0] == (
        "render.yaml:5 buildCommand → package.json:5 scripts.build:render → scripts/deploy.sh:3: "
        "DATABASE_URL=$DIRECT_URL pnpm exec prisma migrate deploy (prisma migrate deploy|dev|reset)"
    )


def test_json_output_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--root", str(POSITIVE), "--format", "json", "render.yaml")
    assert code == 1
    document = json.loads(out)
    assert set(document) == {"findings", "exempted", "unresolved", "entry_files"}
    findings = document["findings"]
    assert isinstance(findings, list) and len(findings) == 1
    finding = findings[0]
    assert set(finding) == {"file", "line", "command", "label", "chain", "phase", "exemption"}
    assert (finding["phase"], finding["exemption"]) == ("BUILD", None)
    assert (finding["file"], finding["line"]) == ("scripts/deploy.sh", 3)
    assert finding["label"] == "prisma migrate deploy|dev|reset"
    assert finding["chain"] == ["render.yaml:5 buildCommand", "package.json:5 scripts.build:render", "scripts/deploy.sh:3"]


def test_github_output_annotates_the_migration_where_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--root", str(POSITIVE), "--format", "github", "render.yaml")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "::error file=scripts/deploy.sh,line=3,title=migpipe check-build::reaches a migration: "
        "render.yaml:5 buildCommand → package.json:5 scripts.build:render → scripts/deploy.sh:3: "
        "DATABASE_URL=$DIRECT_URL pnpm exec prisma migrate deploy (prisma migrate deploy|dev|reset)"
    )
    assert lines[-1].startswith("check-build: 1 migration command(s) reachable")


def test_json_output_when_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--root", str(NEGATIVE), "--format", "json", "package.json")
    document = json.loads(out)
    assert (code, document["findings"], document["exempted"]) == (0, [], [])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-file.sh"], "no-such-file.sh: no such file"),
        (["--format", "xml", "package.json"], "--format xml: expected one of text, github, json"),
        (["--root", "/no/such/dir", "package.json"], "--root /no/such/dir: no such directory"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, _, err = _run(capsys, "--root", str(NEGATIVE), *args)
    assert code == 2
    assert message in err


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("package.json", '{"scripts": {"build": "tsc",}}', "package.json:1:29: not valid JSON"),
        ("render.yaml", "services: [\n", "render.yaml: not valid YAML"),
        ("fly.toml", "[deploy\n", "fly.toml: not valid TOML"),
        ("start.sh", b"\xff\xfe", "start.sh:1: is not valid UTF-8 text"),
    ],
)
def test_unreadable_files_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str | bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    code, _, err = _run(capsys, "--root", str(tmp_path), name)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_a_followed_package_json_that_is_broken_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Procfile").write_text("web: npm start\n")
    (tmp_path / "package.json").write_text("{ not json")
    code, _, err = _run(capsys, "--root", str(tmp_path), "Procfile")
    assert code == 2
    assert "package.json:1:3: not valid JSON" in err


def test_missing_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "--root", str(tmp_path), "--config", str(tmp_path / "pipeline.toml"))
    assert code == 2
    assert "no such file" in err


def _project(tmp_path: Path, runtime: str = "node", scripts: dict[str, str] | None = None) -> Path:
    (tmp_path / "pipeline.toml").write_text(PIPELINE.format(runtime=runtime))
    scripts = scripts or {"build": "tsc", "build:render": "npm run build", "start": "node dist/server.js"}
    (tmp_path / "package.json").write_text(json.dumps({"name": "acme", "scripts": scripts}, indent=2))
    return tmp_path


def _config_mode(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> tuple[int, str, str]:
    return _run(capsys, "--root", str(root), "--config", str(root / "pipeline.toml"), *extra)


def test_config_mode_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _config_mode(capsys, _project(tmp_path))
    assert (code, out.splitlines()[-1].startswith("ok:")) == (0, True)


def test_config_mode_follows_the_host_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, scripts={"build:render": "tsc && sh scripts/deploy.sh", "start": "node x.js"})
    (root / "scripts").mkdir()
    (root / "scripts" / "deploy.sh").write_text("#!/bin/sh\nset -e\nnpx prisma migrate deploy\n")
    code, out, _ = _config_mode(capsys, root, "--format", "json")
    assert code == 1
    # Each host command is its own chain: the build and the pre-deploy command both reach it.
    finding = json.loads(out)["findings"][0]
    assert finding["chain"] == [
        "pipeline.toml:14 host.build_command",
        "package.json:4 scripts.build:render",
        "scripts/deploy.sh:3",
    ]


def test_config_mode_forbids_the_projects_own_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scripts = {"build:render": "npm run db:reset && tsc", "db:reset": "node scripts/reset.js", "start": "node x.js"}
    code, out, _ = _config_mode(capsys, _project(tmp_path, scripts=scripts))
    assert code == 1
    assert "npm run db:reset (npm run db:reset)" in out


def test_config_mode_calling_the_migrate_script_is_a_migration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scripts = {"build:render": "tsc", "start": "bash scripts/migrate-with-guards.sh && node x.js"}
    code, out, _ = _config_mode(capsys, _project(tmp_path, scripts=scripts))
    assert code == 1
    assert "migrate-with-guards.sh" in out


def test_config_mode_docker_runtime_reads_the_dockerfile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, runtime="docker")
    (root / "Dockerfile").write_text('FROM node:20\nCMD npx prisma migrate deploy && node server.js\n')
    code, out, _ = _config_mode(capsys, root)
    assert code == 1
    assert out.startswith("Dockerfile:2 CMD: npx prisma migrate deploy (prisma migrate deploy|dev|reset)")


def test_config_mode_also_reads_render_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path)
    (root / "render.yaml").write_text(
        "services:\n  - type: web\n    name: acme\n    startCommand: npx prisma migrate deploy && npm start\n"
    )
    code, out, _ = _config_mode(capsys, root)
    assert code == 1
    assert out.startswith("render.yaml:4 startCommand: npx prisma migrate deploy (prisma migrate deploy|dev|reset)")


def test_subprocess_exit_codes_and_no_traceback(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "migpipe", "check-build", *args]
        return subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)

    assert run("--root", str(NEGATIVE), "package.json").returncode == 0
    assert run("--root", str(POSITIVE), "render.yaml").returncode == 1
    broken = run("--root", str(tmp_path), "missing.sh")
    assert broken.returncode == 2
    assert broken.stderr.startswith("migpipe: error: missing.sh: no such file")


EXEMPT_PIPELINE = PIPELINE + """
[[guards.exempt]]
path = "docker/Dockerfile.*"
reason = "dev image, used only by docker-compose.dev.yml"
"""


def test_config_mode_checks_every_host_config_and_honours_exemptions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    (root / "pipeline.toml").write_text(EXEMPT_PIPELINE.format(runtime="node"))
    (root / "docker").mkdir()
    (root / "docker" / "Dockerfile.dev").write_text("FROM node:20\nCMD npx prisma migrate dev\n")
    (root / "fly.toml").write_text('app = "trial"\n[deploy]\n  release_command = "npx prisma migrate deploy"\n')
    code, out, _ = _config_mode(capsys, root, "--format", "json")
    document = json.loads(out)
    assert code == 1  # fly.toml is not the declared host, and not exempt
    assert [finding["chain"] for finding in document["findings"]] == [["fly.toml:3 deploy.release_command"]]
    assert [(f["chain"], f["exemption"]) for f in document["exempted"]] == [
        (["docker/Dockerfile.dev:2 CMD"], "dev image, used only by docker-compose.dev.yml")
    ]
    (root / "fly.toml").unlink()
    code, out, _ = _config_mode(capsys, root)
    assert code == 0
    assert "exempt: docker/Dockerfile.dev:2 CMD: npx prisma migrate dev" in out


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_exemption_needs_a_written_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str], reason: str) -> None:
    root = _project(tmp_path)
    text = EXEMPT_PIPELINE.format(runtime="node").replace("dev image, used only by docker-compose.dev.yml", reason)
    (root / "pipeline.toml").write_text(text)
    code, _, err = _config_mode(capsys, root)
    assert code == 2
    assert "guards.exempt" in err and "reason" in err


def test_strict_fails_on_what_could_not_be_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Procfile").write_text("release: ./bin/release\nweb: node server.js\n")
    (tmp_path / "server.js").write_text("require('./app');\n")
    code, out, _ = _run(capsys, "--root", str(tmp_path), "Procfile")
    assert code == 0
    assert "could not follow: Procfile:1 release: ./bin/release: script not found in the repository" in out
    code, out, _ = _run(capsys, "--root", str(tmp_path), "--strict", "Procfile")
    assert code == 1
    assert out.splitlines()[-1] == "check-build: --strict: 1 reference(s) could not be followed"


def test_without_pipeline_toml_every_host_config_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "litefs.yml").write_text("exec:\n  - cmd: npx prisma migrate deploy\n")
    code, out, _ = _run(capsys, "--root", str(repo))
    assert code == 1
    assert out.splitlines()[0] == "infra/litefs.yml:2 exec.cmd: npx prisma migrate deploy (prisma migrate deploy|dev|reset)"


def test_relative_root_with_built_output_that_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--root .` (as the generated guard script runs it): built output and a bare `npm start` end, found or listed."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Procfile").write_text("web: node dist/server.js\nworker: npm start\n")
    code, out, _ = _run(capsys, "--root", ".")
    assert code == 0
    assert "could not follow: Procfile:1 web: dist/server.js: program not found in the repository (nor its source)" in out
