"""init + generate + verify on the real repositories migpipe supports (../shared/corpus/repos/).

What is checked, per repository (expectations in corpus_cases.toml):
* init succeeds and its detections match the labels;
* generate and verify pass;
* every job of the team's CI workflow survives, equal as parsed YAML, except the
  documented changes; its triggers survive; the other workflow files are untouched;
* the jobs migpipe adds are clean under actionlint (with shellcheck) and zizmor
  (the team's own jobs are theirs: their findings are reported by init, not fixed).
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from migpipe.cli import main
from migpipe.pipeline import load_pipeline
from tests.adopt.test_detect_corpus import CASES, REPOS

SUPPORTED = sorted(case for case, expected in CASES.items() if "refusal" not in expected)
# Every repository init adopts: on its own, or with the options of `forced.args`.
ADOPTED = [(case, []) for case in SUPPORTED] + sorted(
    (case, list(expected["forced"]["args"])) for case, expected in CASES.items() if "forced" in expected
)
MIGPIPE_JOBS = {"build-verification", "migrate-plan", "review", "migrate-prod", "deploy"}
BIN = Path(sys.executable).parent


def _yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _no_nulls(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nulls(v) for v in value]
    return value


def expected_jobs(document: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The team's jobs with exactly the documented changes applied (computed here, independently of migpipe)."""
    renamed: dict[str, str] = changes.get("renamed", {})
    removed = {tuple(item.split(":")) for item in changes.get("removed_steps", [])}
    replaced = {tuple(item.split(":")) for item in changes.get("test_database_steps", [])}
    jobs = {}
    for job_id, raw in document["jobs"].items():
        job = copy.deepcopy(raw)
        for key in ("permissions", "defaults"):
            if key in document and key not in job:
                job[key] = copy.deepcopy(document[key])
        if "env" in document:
            job["env"] = {**document["env"], **job.get("env", {})}
        needs = job.get("needs")
        if isinstance(needs, list):
            job["needs"] = [renamed.get(n, n) for n in needs]
        elif isinstance(needs, str):
            job["needs"] = renamed.get(needs, needs)
        steps = []
        for index, step in enumerate(job.get("steps", [])):
            if (job_id, str(index)) in removed:
                continue
            if (job_id, str(index)) in replaced:
                steps.append({"name": step.get("name"), "migpipe-test-database": True})
                continue
            steps.append(step)
        if "steps" in job:
            job["steps"] = steps
        new_id = renamed.get(job_id, job_id)
        if new_id in changes.get("deploy_jobs", []):
            listed = [job["needs"]] if isinstance(job.get("needs"), str) else list(job.get("needs", []))
            job["needs"] = [*listed, "migrate-prod"]
        jobs[new_id] = _no_nulls(job)
    return jobs


def generated_jobs(document: dict[str, Any], team_ids: list[str], commands: tuple[str, ...]) -> dict[str, Any]:
    jobs = {}
    for job_id in team_ids:
        job = copy.deepcopy(document["jobs"][job_id])
        steps = []
        for step in job.get("steps", []):
            if step.get("run") == "\n".join(commands) + ("\n" if len(commands) > 1 else ""):
                steps.append({"name": step.get("name"), "migpipe-test-database": True})
            else:
                steps.append(step)
        if "steps" in job:
            job["steps"] = steps
        jobs[job_id] = job
    return jobs


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def _job_lines(path: Path) -> dict[str, tuple[int, int]]:
    """First and last line (1-based) of each job in the workflow file."""
    document = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    jobs = document["jobs"]
    starts = sorted((jobs.lc.key(job_id)[0] + 1, job_id) for job_id in jobs)
    total = len(path.read_text(encoding="utf-8").splitlines())
    return {job_id: (start, starts[i + 1][0] - 1 if i + 1 < len(starts) else total) for i, (start, job_id) in enumerate(starts)}


def _declare_runner_labels(repo: Path) -> list[str]:
    """actionlint options naming the team's own runner labels (a config file, as the team would have)."""
    config = repo / ".github" / "actionlint.yaml"
    labels: set[str] = set()
    for path in (REPOS / repo.name / ".github" / "workflows").glob("*.y*ml"):
        document = _yaml(path)
        for job in (document.get("jobs") or {}).values() if isinstance(document, dict) else []:
            runs_on = job.get("runs-on") if isinstance(job, dict) else None
            for label in [runs_on] if isinstance(runs_on, str) else runs_on if isinstance(runs_on, list) else []:
                if isinstance(label, str) and "${{" not in label:
                    labels.add(label)
    if not labels or (repo / ".github" / "actionlint.yml").exists():
        return []
    if not config.exists():
        config.write_text("self-hosted-runner:\n  labels:\n" + "".join(f"    - {json.dumps(label)}\n" for label in sorted(labels)))
    return ["-config-file", str(config)]


def _owner(lines: dict[str, tuple[int, int]], line: int) -> str | None:
    return next((job for job, (first, last) in lines.items() if first <= line <= last), None)


@pytest.mark.parametrize(("case", "options"), ADOPTED, ids=[f"{c}{' ' + ' '.join(o) if o else ''}" for c, o in ADOPTED])
def test_init_generate_verify_keep_the_teams_jobs(tmp_path: Path, case: str, options: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    expected = {**CASES[case], **CASES[case].get("forced", {})} if options else CASES[case]
    repo = tmp_path / case
    shutil.copytree(REPOS / case, repo)
    assert main(["init", "--root", str(repo), *options]) == 0
    capsys.readouterr()
    pipeline = load_pipeline(repo / "pipeline.toml")
    tool, directory = expected["tool"].split(" ")
    assert (pipeline.tool.name, pipeline.project.working_directory, pipeline.host.name) == (tool, directory, expected["host"])
    if "main_branch" in expected:
        assert pipeline.ci.main_branch == expected["main_branch"]
    if "node_version" in expected:
        assert pipeline.project.node_version == expected["node_version"]

    assert main(["generate", "-c", str(repo / "pipeline.toml"), "--root", str(repo), "--force"]) == 0
    assert main(["verify", "-c", str(repo / "pipeline.toml"), "--root", str(repo)]) == 0
    capsys.readouterr()

    workflow_path = repo / pipeline.output_paths()["workflow"]
    generated = _yaml(workflow_path)
    if expected["main_ci"] != "none":
        original = _yaml(REPOS / case / expected["main_ci"])
        assert pipeline.output_paths()["workflow"] == expected["main_ci"]
        
        commands = pipeline.tool_profile().test_database_commands
        team = list(pipeline.ci.team_jobs)
        assert generated_jobs(generated, team, commands) == expected_jobs(original, expected.get("changes", {}))
        on = original.get("on", original.get(True))
        team_on = {k: ({} if v is None else v) for k, v in on.items()}
        # The team's triggers survive as they were; the policy's are added where missing
        # (push to the main branch, pull_request and merge_group for the review).
        assert {k: v for k, v in generated["on"].items() if k in team_on} == team_on
        assert set(generated["on"]) - set(team_on) == {"push", "pull_request", "merge_group"} - set(team_on)
        # Every other workflow file is left byte for byte as it was.
        for other in (REPOS / case / ".github" / "workflows").iterdir():
            if other.name != Path(expected["main_ci"]).name:
                assert (repo / ".github" / "workflows" / other.name).read_bytes() == other.read_bytes()
        deploy_jobs = expected.get("changes", {}).get("deploy_jobs", [])
        assert pipeline.ci.team_deploy_jobs == deploy_jobs
        # migrate-prod waits for the team's test jobs; the deploy jobs wait for it.
        for job_id in team:
            if job_id in deploy_jobs:
                assert "migrate-prod" in generated["jobs"][job_id]["needs"]
            elif "if" not in generated["jobs"][job_id]:
                assert job_id in generated["jobs"]["migrate-prod"]["needs"]

    # The jobs migpipe adds are clean under actionlint (shellcheck on run:) and zizmor.
    # migpipe's jobs run on the team's runner (ci.runner): a team on a runner
    # vendor's labels (Blacksmith, WarpBuild) declares them to actionlint, as here.
    config = _declare_runner_labels(repo)
    lines = _job_lines(workflow_path)
    relative = str(workflow_path.relative_to(repo))
    result = _run(["actionlint", *config, "-shellcheck", shutil.which("shellcheck", path=str(BIN)) or "shellcheck", "-no-color", "-format", "{{json .}}", relative], repo)
    findings = json.loads(result.stdout or "[]")
    ours = [f for f in findings if _owner(lines, f["line"]) in MIGPIPE_JOBS or _owner(lines, f["line"]) is None]
    assert ours == [], json.dumps(ours, indent=1)[:3000]
    result = _run(["zizmor", "--offline", "--strict-collection", "--persona", "auditor", "--format", "json", relative], repo)
    assert result.returncode in (0, 10, 11, 12, 13, 14), result.stderr
    ours = []
    for finding in json.loads(result.stdout or "[]"):
        # A finding belongs to the job of its primary location (a related one, such as
        # the triggers that make a cache worth poisoning, only explains it).
        primary = [loc for loc in finding["locations"] if loc["symbolic"].get("kind") == "Primary"]
        for location in primary or finding["locations"]:
            route = location["symbolic"].get("route", {}).get("route", [])
            keys = [part.get("Key") for part in route]
            job = keys[1] if len(keys) > 1 and keys[0] == "jobs" else None
            if job is None or job in MIGPIPE_JOBS:
                ours.append((finding["ident"], keys))
    assert ours == [], ours


RENDER_SCHEMA = REPOS.parent.parent / "schemas" / "render.yaml.json"
# What migpipe governs in a host config: only these may differ from the team's.
RENDER_GOVERNED = {"autoDeploy", "autoDeployTrigger", "env", "runtime", "rootDir"}
RENDER_COMMANDS = ("buildCommand", "startCommand", "preDeployCommand")
VERCEL_GOVERNED = {"$schema", "buildCommand", "installCommand"}
VERCEL_COMMANDS = ("buildCommand", "installCommand")
FLY_GOVERNED_TABLES = {"build": {"dockerfile"}, "deploy": {"release_command"}, "http_service": {"internal_port"}, "processes": {"app"}}


def _without(data: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


@pytest.mark.parametrize("case", SUPPORTED)
def test_the_teams_host_config_survives_except_the_governed_keys(tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema
    import tomllib

    repo = tmp_path / case
    shutil.copytree(REPOS / case, repo)
    assert main(["init", "--root", str(repo)]) == 0
    report = capsys.readouterr().out
    assert main(["generate", "-c", str(repo / "pipeline.toml"), "--root", str(repo), "--force"]) == 0
    capsys.readouterr()
    pipeline = load_pipeline(repo / "pipeline.toml")
    config = pipeline.output_paths()["host_config"]
    if pipeline.host.name == "render":
        original, generated = _yaml(REPOS / case / config), _yaml(repo / config)
        # Render's Blueprint schema: migpipe adds no error. The team's own file may hold
        # some already (a deprecated env: static, a number as a value); carried as they are.
        validator = jsonschema.Draft202012Validator(json.loads(RENDER_SCHEMA.read_text(encoding="utf-8")))

        def errors(document: dict[str, Any]) -> set[tuple[Any, ...]]:
            found = set()
            for error in validator.iter_errors(document):
                path = list(error.absolute_path)
                if len(path) >= 2 and path[0] == "services":
                    path[1] = document["services"][path[1]]["name"]
                found.add(tuple(path))
            return found

        assert errors(generated) <= errors(original)
        governed = next(s for s in generated["services"] if s["name"] == pipeline.host.service_name)
        assert not {e for e in errors(generated) if e[:2] == ("services", governed["name"]) and len(e) == 2}
        assert _without(generated, {"services"}) == _without(original, {"services"})
        before = {s["name"]: s for s in original["services"]}
        after = {s["name"]: s for s in generated["services"]}
        assert set(after) == set(before)
        for name, service in after.items():
            assert _without(service, RENDER_GOVERNED | set(RENDER_COMMANDS)) == _without(before[name], RENDER_GOVERNED | set(RENDER_COMMANDS))
            for key in RENDER_COMMANDS:
                if service.get(key) != before[name].get(key):
                    # A changed command is one init reported, its migration taken out.
                    assert f"`{before[name][key]}`" in report and "migrat" in report
            if name == pipeline.host.service_name:
                assert service["autoDeployTrigger"] == "off" and "autoDeploy" not in service
                assert service.get("runtime") == before[name].get("runtime", before[name].get("env"))
                assert service.get("rootDir") == before[name].get("rootDir")
    elif pipeline.host.name == "vercel":
        original = json.loads((REPOS / case / config).read_text(encoding="utf-8"))
        generated = json.loads((repo / config).read_text(encoding="utf-8"))
        # Git pushes deploy nothing: only the deploy job deploys, after migrate-prod.
        assert generated["git"]["deploymentEnabled"] is False
        assert generated["$schema"] == "https://openapi.vercel.sh/vercel.json"
        for key in VERCEL_COMMANDS:
            if generated.get(key) != original.get(key):
                assert f"`{original[key]}`" in report and "migrat" in report
        for data in (original, generated):
            if isinstance(data.get("git"), dict):
                data["git"] = _without(data["git"], {"deploymentEnabled"})
                if not data["git"]:
                    del data["git"]
        assert _without(generated, VERCEL_GOVERNED) == _without(original, VERCEL_GOVERNED)
        # Key order too: the team's file reads as they wrote it.
        assert [k for k in generated if k not in VERCEL_GOVERNED] == [k for k in original if k not in VERCEL_GOVERNED]
    elif pipeline.host.name == "fly":
        original = tomllib.loads((REPOS / case / config).read_text(encoding="utf-8"))
        generated = tomllib.loads((repo / config).read_text(encoding="utf-8"))
        assert "release_command" not in generated.get("deploy", {})
        assert original["app"] == generated["app"] and original.get("primary_region") == generated.get("primary_region")
        for table, keys in FLY_GOVERNED_TABLES.items():
            for data in (original, generated):
                if isinstance(data.get(table), dict):
                    data[table] = _without(data[table], keys)
                    if not data[table]:
                        del data[table]
        assert generated == original
