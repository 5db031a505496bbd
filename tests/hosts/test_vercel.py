"""Vercel: vercel.json turns Git deployments off and carries the team's keys;
nothing Vercel runs may migrate; the deploy job builds in CI and deploys the
prebuilt output with the CLI reading its credentials from env.

Each test writes a small repository and runs the real CLI (generate, verify,
check-build), as a team and the generated workflow do.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from migpipe.pins import ACTIONS
from migpipe.profiles.hosts.vercel import CLI_VERSION, SCHEMA_URL
from migpipe.toml_write import table
from tests.conftest import SHARED
from tests.hosts.conftest import HEAD, compiled, deploy_job, write_config

VERCEL = HEAD + """\
[host]
name = "vercel"
{extra}
"""
REPOS = SHARED / "corpus" / "repos"
GOVERNED = ("$schema", "buildCommand", "installCommand")


def _vercel_json(tmp_path: Path, extra: str = "", workdir: str = ".", tail: str = "") -> tuple[Any, dict[str, Any]]:
    files = compiled(write_config(tmp_path, VERCEL, extra, workdir, tail))
    return files, json.loads(files["host_config"].content)


def test_vercel_json_turns_git_deployments_off_and_holds_the_commands(tmp_path: Path) -> None:
    files, document = _vercel_json(
        tmp_path, 'build_command = "npm run build"\ninstall_command = "npm ci"', workdir="apps/web"
    )
    assert files["host_config"].path == "apps/web/vercel.json"
    assert document == {
        "$schema": SCHEMA_URL,
        "installCommand": "npm ci",
        "buildCommand": "npm run build",
        "git": {"deploymentEnabled": False},
    }


def test_without_commands_vercel_json_leaves_them_to_package_json(tmp_path: Path) -> None:
    _, document = _vercel_json(tmp_path)
    assert document == {"$schema": SCHEMA_URL, "git": {"deploymentEnabled": False}}


def test_vercel_json_is_plain_json_and_the_manifest_records_it_as_migpipes(tmp_path: Path) -> None:
    files, _ = _vercel_json(tmp_path)
    text = files["host_config"].content
    # No comment line: JSON has none, and Vercel refuses keys it does not know.
    assert text.startswith("{\n") and "migpipe-hash" not in text
    manifest = json.loads(files["manifest"].content)
    assert manifest["headerless"] == ["vercel.json"]
    assert manifest["header"].startswith("migpipe-hash v2: ")
    # The other outputs still carry their own header and are not listed.
    assert "migpipe-hash v2: " in files["workflow"].content


def _host_toml(host: dict[str, Any]) -> str:
    return table("host", {"name": "vercel", **host})


@pytest.mark.parametrize(
    "path",
    ["elie222__inbox-zero/apps/web/vercel.json", "polarsource__polar/clients/apps/web/vercel.json", "mfts__papermark/vercel.json"],
)
def test_a_teams_vercel_json_round_trips_except_the_governed_keys(path: str, tmp_path: Path) -> None:
    team = json.loads((REPOS / path).read_text(encoding="utf-8"))
    host: dict[str, Any] = {}
    if "buildCommand" in team:
        host["build_command"] = team["buildCommand"]
    if "installCommand" in team:
        host["install_command"] = team["installCommand"]
    extra = {key: value for key, value in team.items() if key not in GOVERNED}
    if isinstance(extra.get("git"), dict):
        extra["git"] = {k: v for k, v in extra["git"].items() if k != "deploymentEnabled"}
    host["extra"] = extra
    config = tmp_path / "pipeline.toml"
    config.write_text(HEAD.format(workdir=".") + _host_toml(host), encoding="utf-8")
    generated = json.loads(compiled(config)["host_config"].content)
    governed_out = {key: generated.pop(key) for key in ("$schema", "git")}
    assert governed_out["$schema"] == SCHEMA_URL
    assert governed_out["git"]["deploymentEnabled"] is False
    team.pop("$schema", None)
    team_git = team.pop("git", {})
    assert generated == team  # every other key, value for value (commands included)
    assert {k: v for k, v in governed_out["git"].items() if k != "deploymentEnabled"} == {
        k: v for k, v in team_git.items() if k != "deploymentEnabled"
    }


# --------------------------------------------------------------------------
# Bad input: exit 2, file, line and key, nothing written.

CASES = [
    pytest.param(
        'build_command = "npx prisma migrate deploy && next build"\n',
        ["pipeline.toml:13:1: host.build_command: runs a migration (prisma migrate deploy|dev|reset); the host's "
         "commands never migrate (migrations run only in migrate-prod)"],
        id="migrating-build-command",
    ),
    pytest.param(
        'install_command = "pnpm install && pnpm drizzle-kit migrate"\n',
        ["pipeline.toml:13:1: host.install_command: runs a migration (drizzle-kit migrate|push); the host's "
         "commands never migrate (migrations run only in migrate-prod)"],
        id="migrating-install-command",
    ),
    pytest.param(
        '[host.extra]\nignoreCommand = "npx prisma migrate deploy; exit 1"\n',
        ["pipeline.toml:14:1: host.extra.ignoreCommand: runs a migration (prisma migrate deploy|dev|reset); the "
         "host's commands never migrate (migrations run only in migrate-prod)"],
        id="migrating-ignore-command",
    ),
    pytest.param(
        '[host.extra]\nbuildCommand = "next build"\n',
        ["pipeline.toml:14:1: host.extra.buildCommand: set by [host] (expected it there)"],
        id="build-command-in-extra",
    ),
    pytest.param(
        '[host.extra.git]\ndeploymentEnabled = { main = true }\n',
        ["pipeline.toml:14:1: host.extra.git.deploymentEnabled: always false, so that only the deploy job deploys, "
         "after migrate-prod (expected it not here)"],
        id="git-deployments-on",
    ),
    pytest.param(
        '[host.extra.github]\nenabled = true\n',
        ["pipeline.toml:14:1: host.extra.github.enabled: would turn Vercel's Git deployments back on, outside the "
         "deploy job (expected false or no enabled)"],
        id="github-enabled",
    ),
    pytest.param(
        'cli_version = "latest"\n',
        ["pipeline.toml:13:1: host.cli_version: unknown key (expected one of: name, build_command, install_command, "
         "token_secret, org_id_secret, project_id_secret, extra)"],
        id="the-cli-release-is-migpipes",
    ),
    pytest.param(
        'token_secret = "PRODUCTION_DATABASE_URL"\n',
        ["pipeline.toml:13:1: host.token_secret: must differ from approval.database_url_secret "
         "(both are 'PRODUCTION_DATABASE_URL')"],
        id="token-is-the-database-secret",
    ),
    pytest.param(
        '\n[outputs]\nhost_config = "config/vercel.json"\n',
        ["pipeline.toml:15:1: outputs.host_config: vercel reads its config only from 'vercel.json', the root of "
         "the source it deploys (expected 'vercel.json' or no host_config)"],
        id="vercel-json-elsewhere",
    ),
]


@pytest.mark.parametrize(("extra", "expected"), CASES)
@pytest.mark.parametrize("command", ["generate", "check-build"])
def test_bad_config_is_exit_2_naming_file_line_and_key(extra: str, expected: list[str], command: str, tmp_path: Path, cli) -> None:
    write_config(tmp_path, VERCEL, extra)
    (tmp_path / "repo").mkdir()
    args = {
        "generate": ["generate", "-c", "pipeline.toml", "--root", "repo"],
        "check-build": ["check-build", "--config", "pipeline.toml", "--root", "repo"],
    }[command]
    result = cli(args, tmp_path)
    assert result.code == 2, result.out + result.err
    assert "Traceback" not in result.out + result.err
    assert [line for line in result.err.splitlines() if line.startswith("pipeline.toml")] == expected
    assert list((tmp_path / "repo").iterdir()) == []


# --------------------------------------------------------------------------
# generate, check-build, verify on a repository.


def _repo(tmp_path: Path, scripts: dict[str, str], extra: str = "") -> Path:
    write_config(tmp_path, VERCEL, extra)
    (tmp_path / "package.json").write_text(json.dumps({"name": "acme", "scripts": scripts}, indent=2) + "\n")
    (tmp_path / "prisma" / "migrations").mkdir(parents=True)
    (tmp_path / "prisma" / "schema.prisma").write_text("// schema\n")
    return tmp_path


def _check(cli, root: Path):
    return cli(["check-build", "--root", ".", "--config", "pipeline.toml", "--format", "json"], root)


def test_generate_then_check_build_passes(tmp_path: Path, cli) -> None:
    root = _repo(tmp_path, {"build": "next build", "start": "next start"}, 'build_command = "npm run build"')
    assert cli(["generate", "-c", "pipeline.toml"], root).code == 0
    result = _check(cli, root)
    assert result.code == 0, result.out + result.err
    assert json.loads(result.out)["findings"] == []
    assert cli(["verify", "-c", "pipeline.toml"], root).code == 0


def test_check_build_follows_the_implicit_vercel_build_script(tmp_path: Path, cli) -> None:
    # papermark's shape: no buildCommand, so Vercel runs vercel-build instead of build.
    root = _repo(tmp_path, {"build": "next build", "vercel-build": "prisma migrate deploy && next build"})
    assert cli(["generate", "-c", "pipeline.toml"], root).code == 0
    result = _check(cli, root)
    assert result.code == 1, result.out + result.err
    [finding] = json.loads(result.out)["findings"]
    assert finding["command"] == "prisma migrate deploy"
    assert finding["chain"] == ["package.json:5 scripts.vercel-build"]


def test_without_vercel_build_check_build_follows_build(tmp_path: Path, cli) -> None:
    root = _repo(tmp_path, {"build": "prisma migrate deploy && next build", "start": "next start"})
    assert cli(["generate", "-c", "pipeline.toml"], root).code == 0
    result = _check(cli, root)
    assert result.code == 1
    # (The generated build-verification job's `npm run build` reaches it too.)
    assert ["package.json:4 scripts.build"] in [f["chain"] for f in json.loads(result.out)["findings"]]
    # A buildCommand replaces the build script: then build is not what Vercel runs.
    config = root / "pipeline.toml"
    config.write_text(config.read_text().replace('name = "vercel"\n', 'name = "vercel"\nbuild_command = "next build"\n'))
    assert cli(["generate", "-c", "pipeline.toml"], root).code == 0
    chains = [f["chain"] for f in json.loads(_check(cli, root).out)["findings"]]
    assert ["package.json:4 scripts.build"] not in chains
    assert all(chain[0].startswith(".github/workflows/") for chain in chains)  # only the CI build is left


def test_check_build_follows_build_command_through_package_json_scripts(tmp_path: Path, cli) -> None:
    root = _repo(tmp_path, {"build:web": "npm run db:deploy && next build", "db:deploy": "prisma migrate deploy"},
                 'build_command = "npm run build:web"')
    assert cli(["generate", "-c", "pipeline.toml"], root).code == 0
    result = _check(cli, root)
    assert result.code == 1
    chains = [finding["chain"] for finding in json.loads(result.out)["findings"]]
    # Both where pipeline.toml says it and where Vercel reads it.
    assert chains == [
        ["pipeline.toml:13 host.build_command", "package.json:4 scripts.build:web", "package.json:5 scripts.db:deploy"],
        ["vercel.json:3 buildCommand", "package.json:4 scripts.build:web", "package.json:5 scripts.db:deploy"],
    ]


def test_a_hand_edited_vercel_json_is_drift_named_hand_edited_and_generate_restores_it(tmp_path: Path, cli) -> None:
    root = _repo(tmp_path, {"build": "next build"})
    assert cli(["generate", "-c", "pipeline.toml"], root).code == 0
    path = root / "vercel.json"
    generated = path.read_text()
    path.write_text(generated.replace('"deploymentEnabled": false', '"deploymentEnabled": true'))
    result = cli(["verify", "-c", "pipeline.toml"], root)
    assert result.code == 1
    assert "vercel.json: hand-edited" in result.out + result.err
    # migpipe's own file (the manifest says so): updated without --force.
    result = cli(["generate", "-c", "pipeline.toml"], root)
    assert result.code == 0, result.err
    assert path.read_text() == generated


def test_a_stale_vercel_json_is_named_stale(tmp_path: Path, cli) -> None:
    root = _repo(tmp_path, {"build": "next build"})
    assert cli(["generate", "-c", "pipeline.toml"], root).code == 0
    config = root / "pipeline.toml"
    config.write_text(config.read_text() + 'build_command = "next build"\n')
    result = cli(["verify", "-c", "pipeline.toml"], root)
    assert result.code == 1
    assert "vercel.json: stale" in result.out + result.err


def test_a_teams_own_vercel_json_is_not_overwritten_without_force(tmp_path: Path, cli) -> None:
    root = _repo(tmp_path, {"build": "next build"})
    (root / "vercel.json").write_text('{"framework": "nextjs"}\n')
    result = cli(["generate", "-c", "pipeline.toml"], root)
    assert result.code == 2
    assert "refusing to overwrite files migpipe did not generate: vercel.json" in result.err
    assert (root / "vercel.json").read_text() == '{"framework": "nextjs"}\n'
    assert cli(["generate", "-c", "pipeline.toml", "--force"], root).code == 0
    assert json.loads((root / "vercel.json").read_text())["git"] == {"deploymentEnabled": False}


# --------------------------------------------------------------------------
# The deploy job.


def test_deploy_job_installs_node_and_a_pinned_cli_and_passes_credentials_only_in_env(tmp_path: Path) -> None:
    files = compiled(write_config(tmp_path, VERCEL, 'token_secret = "ACME_VERCEL_TOKEN"'))
    steps = deploy_job(files)["steps"]
    names = [step.get("name") for step in steps]
    node = steps[names.index("Set up Node.js")]
    assert node["uses"].startswith(f"actions/setup-node@{ACTIONS['actions/setup-node'][0]}")
    assert names.index("Set up Node.js") < names.index(f"Install the Vercel CLI {CLI_VERSION} from migpipe's lockfile")
    deploy = steps[-1]
    assert deploy["run"] == "migpipe deploy --config pipeline.toml"
    assert {key: deploy["env"][key] for key in ("ACME_VERCEL_TOKEN", "VERCEL_ORG_ID", "VERCEL_PROJECT_ID")} == {
        "ACME_VERCEL_TOKEN": "${{ secrets.ACME_VERCEL_TOKEN }}",
        "VERCEL_ORG_ID": "${{ secrets.VERCEL_ORG_ID }}",
        "VERCEL_PROJECT_ID": "${{ secrets.VERCEL_PROJECT_ID }}",
    }
    # No secret in any run: of the job.
    assert not any(re.search(r"secrets\.", step.get("run", "")) for step in steps)


def test_pnpm_is_enabled_before_vercel_build_installs_with_it(tmp_path: Path) -> None:
    files = compiled(write_config(tmp_path, VERCEL))
    names = [step.get("name") for step in deploy_job(files)["steps"]]
    assert "Enable pnpm through corepack" not in names  # npm: nothing to enable
    config = tmp_path / "pnpm" / "pipeline.toml"
    config.parent.mkdir()
    config.write_text(VERCEL.format(extra="", workdir=".").replace('name = "acme"', 'name = "acme"\npackage_manager = "pnpm"'))
    names = [step.get("name") for step in deploy_job(compiled(config))["steps"]]
    install = f"Install the Vercel CLI {CLI_VERSION} from migpipe's lockfile"
    assert names.index("Set up Node.js") < names.index("Enable pnpm through corepack") < names.index(install)


def test_the_cli_is_installed_with_npm_ci_from_migpipes_lockfile(tmp_path: Path, cli) -> None:
    files = compiled(write_config(tmp_path, VERCEL))
    steps = deploy_job(files)["steps"]
    [install] = [step for step in steps if step.get("name", "").startswith("Install the Vercel CLI")]
    lines = install["run"].splitlines()
    assert lines == [
        'migpipe host-cli --config pipeline.toml "$RUNNER_TEMP/vercel-cli"',
        'npm ci --prefix "$RUNNER_TEMP/vercel-cli" --ignore-scripts --no-audit --no-fund',
        # migpipe deploy finds `vercel` on PATH (MIGPIPE_VERCEL_CLI, when set, wins).
        'echo "$RUNNER_TEMP/vercel-cli/node_modules/.bin" >> "$GITHUB_PATH"',
    ]
    assert "MIGPIPE_VERCEL_CLI" not in steps[-1]["env"]
    # What host-cli writes: the manifest and a lockfile of that exact release,
    # every package with its integrity hash.
    result = cli(["host-cli", "--config", "pipeline.toml", "out"], tmp_path)
    assert result.code == 0, result.err
    manifest = json.loads((tmp_path / "out" / "package.json").read_text())
    lock = json.loads((tmp_path / "out" / "package-lock.json").read_text())
    assert manifest["dependencies"] == {"vercel": CLI_VERSION}
    assert lock["packages"][""]["dependencies"] == {"vercel": CLI_VERSION}
    assert lock["packages"]["node_modules/vercel"]["version"] == CLI_VERSION
    packages = [entry for name, entry in lock["packages"].items() if name]
    assert packages and all(entry.get("integrity", "").startswith("sha512-") or entry.get("link") for entry in packages)
    assert "Install the Vercel CLI " + CLI_VERSION in install["name"]


def test_host_cli_refuses_a_host_without_one(tmp_path: Path, cli) -> None:
    write_config(tmp_path, HEAD + '[host]\nname = "heroku"\napp = "acme-api"\n{extra}')
    result = cli(["host-cli", "--config", "pipeline.toml", "out"], tmp_path)
    assert result.code == 2
    assert "Heroku deploys without a CLI installed from a lockfile" in result.err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------
# migpipe deploy: dispatched to Vercel's runtime through the host registry.
# The Vercel CLI and API cannot be reached here: a stand-in `vercel` script
# (named as such, chosen by MIGPIPE_VERCEL_CLI) and a local stand-in of the
# API (MIGPIPE_VERCEL_API_URL).

STANDIN_CLI = """\
#!{python}
# Stand-in for the vercel CLI: records argv and the ids it was given.
import json, os, sys
with open(os.environ["VERCEL_STANDIN_LOG"], "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "org": os.environ.get("VERCEL_ORG_ID"),
                        "project": os.environ.get("VERCEL_PROJECT_ID")}}) + "\\n")
if sys.argv[1] == "deploy":
    print("https://inbox-xyz.vercel.app")
"""


def test_migpipe_deploy_runs_the_vercel_runtime_with_the_secrets_named_in_host(
    tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat
    import sys

    from tests.runtime.gitrepo import commit_files, init_repo
    from tests.runtime.standin import Request, api_standin

    repo = init_repo(tmp_path / "repo")
    config = write_config(tmp_path, VERCEL, 'token_secret = "ACME_VERCEL_TOKEN"\norg_id_secret = "ACME_ORG"', workdir="apps/web")
    (repo / "pipeline.toml").write_text(config.read_text())
    sha = commit_files(repo, {"apps/web/package.json": '{"scripts": {"build": "next build"}}\n'})
    script = tmp_path / "bin" / "vercel"
    script.parent.mkdir()
    script.write_text(STANDIN_CLI.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    summary = tmp_path / "summary.md"

    def route(request: Request) -> tuple[int, Any]:
        if request.headers.get("authorization") != "Bearer tok_1" or not request.path.startswith("/v13/deployments/inbox-xyz.vercel.app"):
            return 403, {"error": {"code": "forbidden"}}
        return 200, {"id": "dpl_9", "readyState": "READY", "meta": {"migpipeCommit": sha}}

    with api_standin(route) as api:
        for name, value in {
            "ACME_VERCEL_TOKEN": "tok_1", "ACME_ORG": "team_7", "VERCEL_PROJECT_ID": "prj_8",
            "MIGPIPE_VERCEL_CLI": str(script), "MIGPIPE_VERCEL_API_URL": api.url,
            "VERCEL_STANDIN_LOG": str(tmp_path / "calls.log"), "GITHUB_STEP_SUMMARY": str(summary),
            "MIGPIPE_MIGRATED": '["20260101_init"]',
        }.items():
            monkeypatch.setenv(name, value)
        result = cli(["deploy", "--config", "pipeline.toml", "--sha", sha], repo)
        requests = list(api.requests)
    assert result.code == 0, result.out + result.err
    assert f"Vercel deploy dpl_9 of {sha}: READY" in result.out
    calls = [json.loads(line) for line in (tmp_path / "calls.log").read_text().splitlines()]
    assert [call["argv"][0] for call in calls] == ["pull", "build", "deploy"]
    assert all(call["org"] == "team_7" and call["project"] == "prj_8" for call in calls)
    assert requests[0].path == "/v13/deployments/inbox-xyz.vercel.app?teamId=team_7"
    text = summary.read_text()
    assert "Deploy to Vercel: live" in text and f"`{sha}`" in text and "`dpl_9`" in text and "`20260101_init`" in text


def test_migpipe_deploy_names_the_missing_secret(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path, VERCEL)
    monkeypatch.setenv("VERCEL_TOKEN", "tok")
    monkeypatch.delenv("VERCEL_ORG_ID", raising=False)
    result = cli(["deploy", "--config", "pipeline.toml", "--sha", "a" * 40], tmp_path)
    assert result.code == 2
    assert "environment variable VERCEL_ORG_ID is empty: set the secret VERCEL_ORG_ID (named by host.org_id_secret" in result.err


@pytest.mark.parametrize("name", ["vercel.ts", "vercel.toml"])
def test_generate_refuses_while_another_vercel_config_exists(name: str, tmp_path: Path, cli) -> None:
    root = _repo(tmp_path, {"build": "next build"})
    (root / name).write_text("// the team's config\n")
    result = cli(["generate", "-c", "pipeline.toml"], root)
    assert result.code == 2
    assert (
        f"pipeline.toml: host.name: {name} exists, and Vercel reads one configuration file per project while "
        f"migpipe writes vercel.json (expected no {name}: move what it sets into [host] and delete it)"
    ) in result.err
    assert not (root / "vercel.json").exists()
