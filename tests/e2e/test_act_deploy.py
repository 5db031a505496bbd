"""The generated deploy job, run by the real `act`, deploys exactly the migrated commit.

Each test is a push to main of a small Prisma app whose pipeline.toml names one
host; the workflow is exactly what `migpipe generate` wrote. act runs the
deploy job and, before it, every job it needs (build-verification,
migrate-plan, migrate-prod: the app has no test jobs, so nothing else runs),
on the clean runner of tests/e2e/harness.py, with a real PostgreSQL as
production. pipeline.toml sets deploy.poll_seconds = 1, so a deploy's walk
through its statuses takes seconds. (No timeout case: deploy.wait_minutes is
at least 1, so one would poll a minute; tests/runtime proves the timeouts.)

Stand-ins, because the real hosts cannot be reached from here (all named
stand-ins, all in tests/runtime/standin.py, shared with the runtime's tests):
* Render's, Heroku's and Vercel's APIs: local HTTP servers that answer like the
  documented APIs, are told the final status each deploy reaches, and record
  what they were asked to deploy. migpipe reaches them through
  MIGPIPE_RENDER_API_URL / MIGPIPE_HEROKU_API_URL / MIGPIPE_VERCEL_API_URL in
  the runner's environment.
* flyctl: an executable the stand-in for superfly/flyctl-actions/setup-flyctl
  puts on the job's PATH (harness.write_action_standins), told by
  FLYCTL_STANDIN_HEALTH whether the machines pass their health checks.
* The GitHub-hosted actions, Prisma's migration engine and GitHub's API, as
  in test_act_pipeline.py.
"""
from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from migpipe.profiles.hosts.vercel import CLI_VERSION as VERCEL_CLI_VERSION
from tests.e2e.conftest import MakeProject
from tests.e2e.github_standin import GITHUB_TOKEN, GitHubApiStandin
from tests.e2e.harness import ActRun, ActRunner, Project, applied_migrations, head_sha
from tests.runtime.standin import HerokuApi, RenderApi, StandIn, VercelApi, api_standin, flyctl_calls
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

MIGRATIONS = {
    "20240101000000_init": 'CREATE TABLE "User" (id bigint PRIMARY KEY, email text);\n',
    "20240102000000_add_name": 'ALTER TABLE "User" ADD COLUMN "name" text;\n',
}
UPSTREAM_JOBS = ["Build verification", "Plan production migrations", "Migrate production database"]

# No test jobs (so act runs only the deploy job's chain); deploy polls every second.
PIPELINE = """\
version = 1

[project]
name = "acme"

[tool]
name = "prisma"
version = 6

{host}

[ci]
build_commands = ["npm run build"]
test_jobs = {{}}

[test_database]
jobs = []

[deploy]
poll_seconds = 1
wait_minutes = 2
"""


def deploy_step_name(project: Project) -> str:
    """The name of the deploy job's step that runs `migpipe deploy`, as generated."""
    workflow = YAML(typ="safe").load((project.root / ".github" / "workflows" / "ci-cd.yml").read_text())
    return str(next(step["name"] for step in workflow["jobs"]["deploy"]["steps"] if "migpipe deploy" in step.get("run", "")))


def app(make_project: MakeProject, host: str, files: Mapping[str, str] | None = None) -> Project:
    """The Prisma app of the harness with this pipeline.toml (not the example's)."""
    return make_project(MIGRATIONS, edit_pipeline=lambda _example: PIPELINE.format(host=host), files=files)


def push_to_main(
    act: ActRunner,
    project: Project,
    server: PostgresServer,
    github: GitHubApiStandin,
    host_secrets: Mapping[str, str],
    env: Mapping[str, str],
) -> ActRun:
    """A push to main, run up to the deploy job (act runs every job it needs)."""
    secrets = {
        "PRODUCTION_DATABASE_URL": server.url(project.prod_db),
        # migrate-plan's read-only credential (the tests' server has one role for both).
        "PRODUCTION_DATABASE_URL_READONLY": server.url(project.prod_db),
        "GITHUB_TOKEN": GITHUB_TOKEN,
        **host_secrets,
    }
    runner_env = {"MIGPIPE_GITHUB_API_URL": github.url, **env}
    return act(project.root, "push", secrets=secrets, env=runner_env, job="deploy")


def migrated_then_deployed(run: ActRun, server: PostgresServer, project: Project) -> float:
    """Every job before deploy succeeded and production holds the migrations;
    returns when the last one finished (deploys must come after it)."""
    for job in UPSTREAM_JOBS:
        assert run.job_result(job) == "succeeded", (job, run.output[-4000:])
    assert applied_migrations(server, project.prod_db) == sorted(MIGRATIONS)
    return float(server.psql(project.prod_db, "SELECT extract(epoch FROM max(finished_at)) FROM _prisma_migrations"))


def assert_summary(run: ActRun, host: str, verdict: str, sha: str, deploy_id: str, status: str) -> None:
    """The deploy job's summary states the migrated set, the SHA, the deploy id and the final status."""
    summary = run.job_summary("Deploy")
    assert f"## Deploy to {host}: {verdict}" in summary, summary
    assert f"| deployed commit | `{sha}` |" in summary
    assert re.search(rf"\| {host} deploy id \| `{re.escape(deploy_id)}` \|", summary), summary
    assert f"| final status | `{status}` |" in summary
    assert re.search(r"\| plan digest \| `[^`]+` \|", summary), summary
    for name in MIGRATIONS:
        assert f"- `{name}`" in summary, summary


# --------------------------------------------------------------------------
# Render, API mode (the default deploy.mode = "api")

RENDER_SERVICE, RENDER_KEY = "srv-standin42", "rnd_e2eStandinKEY"
RENDER_HOST = '[host]\nname = "render"\nservice_name = "acme"'


@pytest.fixture
def render_project(make_project: MakeProject) -> Project:
    return app(make_project, RENDER_HOST)


@pytest.fixture
def render_api(request: pytest.FixtureRequest) -> Iterator[tuple[RenderApi, StandIn]]:
    host = RenderApi.to(RENDER_SERVICE, RENDER_KEY, request.param)
    with api_standin(host) as server:
        yield host, server


def run_render(act: ActRunner, project: Project, server: PostgresServer, github: GitHubApiStandin, api: StandIn) -> ActRun:
    return push_to_main(
        act, project, server, github,
        {"RENDER_SERVICE_ID": RENDER_SERVICE, "RENDER_API_KEY": RENDER_KEY},
        {"MIGPIPE_RENDER_API_URL": api.url},
    )


@pytest.mark.parametrize("render_api", ["live"], indirect=True)
def test_render_deploys_exactly_the_migrated_commit_and_waits_until_live(
    render_project: Project, render_api: tuple[RenderApi, StandIn], postgres_server: PostgresServer, act: ActRunner,
    github_api: GitHubApiStandin,
) -> None:
    host, api = render_api
    sha = head_sha(render_project.root)
    run = run_render(act, render_project, postgres_server, github_api, api)

    assert run.returncode == 0, run.output[-6000:]
    migrated_at = migrated_then_deployed(run, postgres_server, render_project)
    assert run.job_result("Deploy") == "succeeded"
    # One deploy, of exactly the commit act ran, created after production was migrated.
    (create,) = api.calls("POST")
    assert create.path == f"/v1/services/{RENDER_SERVICE}/deploys"
    assert create.body == {"commitId": sha}
    assert [deploy["commit"]["id"] for deploy in host.deploys] == [sha]
    assert create.at > migrated_at
    # Polled through every status Render reported, until live, then no more.
    polls = api.calls("GET", f"/v1/services/{RENDER_SERVICE}/deploys/dep-standin1")
    assert len(polls) == len(host.statuses)
    log = run.job_log("Deploy")
    reported = re.findall(r"Render deploy dep-standin1: (\w+)", log)
    assert reported == host.statuses, log
    assert f"Render deploy dep-standin1 of {sha}: live" in log
    assert_summary(run, "Render", "live", sha, "dep-standin1", "live")
    # The API key reached the API, and nothing else.
    assert all(r.headers["authorization"] == f"Bearer {RENDER_KEY}" for r in api.requests)
    assert RENDER_KEY not in run.output
    assert postgres_server.password not in run.output


@pytest.mark.parametrize("render_api", ["build_failed", "update_failed", "pre_deploy_failed", "canceled"], indirect=True)
def test_render_deploy_that_ends_in_a_failure_status_fails_the_job(
    render_project: Project, render_api: tuple[RenderApi, StandIn], postgres_server: PostgresServer, act: ActRunner,
    github_api: GitHubApiStandin,
) -> None:
    host, api = render_api
    sha = head_sha(render_project.root)
    final = host.statuses[-1]
    run = run_render(act, render_project, postgres_server, github_api, api)

    assert run.returncode != 0
    migrated_then_deployed(run, postgres_server, render_project)
    assert run.job_result("Deploy") == "failed"
    assert run.step_result("Deploy", deploy_step_name(render_project)) == "failed"
    assert [r.body for r in api.calls("POST")] == [{"commitId": sha}]
    # It stopped at the failure status: no poll after it.
    assert len(api.calls("GET", f"/v1/services/{RENDER_SERVICE}/deploys/dep-standin1")) == len(host.statuses)
    assert f"ended with status '{final}': it is not live" in run.job_log("Deploy")
    assert_summary(run, "Render", "NOT live", sha, "dep-standin1", final)
    assert RENDER_KEY not in run.output


# --------------------------------------------------------------------------
# Heroku (its golden config: tests/golden/prisma-heroku)

HEROKU_APP, HEROKU_KEY = "orchard-api", "heroku-e2eStandinKEY"
HEROKU_HOST = (
    '[host]\nname = "heroku"\napp = "orchard-api"\nstart_command = "npm run start"\n'
    'api_key_secret = "ORCHARD_HEROKU_API_KEY"\n\n[backup]\nmode = "restore-point"'
)


@pytest.mark.parametrize("build", ["succeeded", "failed"])
def test_heroku_builds_this_commit_with_its_sha_and_waits_for_the_release(
    build: str, make_project: MakeProject, postgres_server: PostgresServer, act: ActRunner, github_api: GitHubApiStandin
) -> None:
    project = app(make_project, HEROKU_HOST)
    sha = head_sha(project.root)
    host = HerokuApi.to(HEROKU_APP, HEROKU_KEY, build)
    with api_standin(host) as api:
        run = push_to_main(
            act, project, postgres_server, github_api, {"ORCHARD_HEROKU_API_KEY": HEROKU_KEY}, {"MIGPIPE_HEROKU_API_URL": api.url}
        )

    migrated_at = migrated_then_deployed(run, postgres_server, project)
    # One build, of this commit's files, with version = the commit act ran.
    (create,) = api.calls("POST", f"/apps/{HEROKU_APP}/builds")
    assert create.at > migrated_at
    assert host.builds == [{"url": f"{api.url}/download/blob-1", "version": sha}]
    with tarfile.open(fileobj=io.BytesIO(host.uploads["blob-1"]), mode="r:gz") as tar:
        shipped = {m.name.removeprefix("./"): tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    assert shipped["package.json"] == (project.root / "package.json").read_bytes()
    assert "Procfile" in shipped and not any(name.startswith(".git/") for name in shipped)
    log = run.job_log("Deploy")
    assert HEROKU_KEY not in run.output
    if build == "succeeded":
        assert run.returncode == 0, run.output[-6000:]
        assert run.job_result("Deploy") == "succeeded"
        # The build was polled to succeeded, then its release to succeeded.
        assert re.findall(r"Heroku build build-1: (\w+)", log) == ["pending", "succeeded"], log
        assert re.findall(r"Heroku release rel-1: (\w+)", log) == ["pending", "succeeded"], log
        assert len(api.calls("GET", f"/apps/{HEROKU_APP}/releases/rel-1")) == 2
        assert_summary(run, "Heroku", "live", sha, "build build-1, release rel-1", "release succeeded")
    else:
        assert run.returncode != 0
        assert run.job_result("Deploy") == "failed"
        assert run.step_result("Deploy", deploy_step_name(project)) == "failed"
        assert "ended with status 'failed'; nothing was released" in log
        assert api.calls("GET", f"/apps/{HEROKU_APP}/releases") == []
        assert_summary(run, "Heroku", "NOT live", sha, "build-1", "build failed")


# --------------------------------------------------------------------------
# Fly.io (its golden config: tests/golden/prisma-fly)

FLY_TOKEN = "FlyV1 fm2_e2eStandinTOKEN"
FLY_HOST = '[host]\nname = "fly"\napp = "harbor-api"\nprimary_region = "ams"\nstart_command = "node server.js"\ninternal_port = 3000'
DOCKERFILE = "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD [\"node\", \"server.js\"]\n"


@pytest.mark.parametrize("health", ["passing", "critical"])
def test_fly_deploys_the_checkout_labelled_with_its_sha_and_waits_for_health_checks(
    health: str,
    make_project: MakeProject,
    postgres_server: PostgresServer,
    act: ActRunner,
    github_api: GitHubApiStandin,
    tmp_path: Path,
) -> None:
    project = app(make_project, FLY_HOST, files={"Dockerfile": DOCKERFILE})
    sha = head_sha(project.root)
    log_file = tmp_path / "flyctl-standin.log"
    run = push_to_main(
        act, project, postgres_server, github_api, {"FLY_API_TOKEN": FLY_TOKEN},
        {"FLYCTL_STANDIN_LOG": str(log_file), "FLYCTL_STANDIN_HEALTH": health},
    )

    migrated_then_deployed(run, postgres_server, project)
    calls = flyctl_calls(log_file)
    deploy = calls[0]
    # flyctl deployed the checkout of exactly this commit, its image labelled
    # with the SHA, waiting for health checks as long as pipeline.toml says.
    assert deploy["argv"] == [
        "deploy", ".", "--app", "harbor-api", "--config", "fly.toml", "--remote-only",
        "--image-label", sha, "--wait-timeout", "120s",
    ]
    assert deploy["head"] == sha
    assert deploy["token"] == FLY_TOKEN  # from the environment, never argv
    assert FLY_TOKEN not in run.output
    log = run.job_log("Deploy")
    assert f"image: registry.fly.io/harbor-api:{sha}" in log
    if health == "passing":
        assert run.returncode == 0, run.output[-6000:]
        assert run.job_result("Deploy") == "succeeded"
        # Then it confirmed the newest release runs that image.
        assert [call["argv"][0] for call in calls] == ["deploy", "releases"]
        assert_summary(run, "Fly.io", "live", sha, "release v7", "complete")
    else:
        assert run.returncode != 0
        assert run.job_result("Deploy") == "failed"
        assert run.step_result("Deploy", deploy_step_name(project)) == "failed"
        assert "timeout reached waiting for health checks" in log
        assert [call["argv"][0] for call in calls] == ["deploy"]
        assert_summary(run, "Fly.io", "NOT live", sha, sha, "flyctl deploy exit 1")


# --------------------------------------------------------------------------
# Vercel (its golden config: tests/golden/prisma-vercel). The real Vercel CLI
# runs: the deploy job installs it with `npm ci` from migpipe's lockfile, the
# runner's npm offline, from a cache of those very packages
# (vercel_cli_npm_cache). It builds the checkout here, then talks to the
# stand-in of Vercel's API: its global config's `api` (what its --api option
# sets), found through XDG_DATA_HOME, names the stand-in.

VERCEL_TOKEN, VERCEL_ORG, VERCEL_PROJECT = "vercel_e2eStandinTOKEN", "team_standin", "prj_standin"
BUILT = "built from this commit by vercel build"
VERCEL_HOST = f'[host]\nname = "vercel"\nbuild_command = "mkdir -p public && echo {BUILT} > public/index.html"'


@pytest.mark.parametrize("final", ["READY", "ERROR", "CANCELED"])
def test_vercel_builds_this_commit_in_ci_deploys_that_output_and_waits_for_ready(
    final: str,
    make_project: MakeProject,
    postgres_server: PostgresServer,
    act: ActRunner,
    github_api: GitHubApiStandin,
    vercel_cli_npm_cache: Path,
    tmp_path: Path,
) -> None:
    project = app(make_project, VERCEL_HOST)
    sha = head_sha(project.root)
    host = VercelApi.to(VERCEL_TOKEN, VERCEL_ORG, VERCEL_PROJECT, final)
    with api_standin(host) as api:
        config = tmp_path / "xdg-data" / "com.vercel.cli"
        config.mkdir(parents=True)
        (config / "config.json").write_text(json.dumps({"api": api.url}))
        run = push_to_main(
            act, project, postgres_server, github_api,
            {"VERCEL_TOKEN": VERCEL_TOKEN, "VERCEL_ORG_ID": VERCEL_ORG, "VERCEL_PROJECT_ID": VERCEL_PROJECT},
            {
                "MIGPIPE_VERCEL_API_URL": api.url,
                "XDG_DATA_HOME": str(config.parent),
                "npm_config_cache": str(vercel_cli_npm_cache),
                "VERCEL_TELEMETRY_DISABLED": "1",
            },
        )

    migrated_then_deployed(run, postgres_server, project)
    log = run.job_log("Deploy")
    assert f"Vercel CLI {VERCEL_CLI_VERSION}" in log, log[-4000:]
    # One deployment, of the output `vercel build` made here from this commit.
    (deployment,) = host.deployments
    assert deployment["meta"] == {"migpipeCommit": sha}
    assert deployment["gitMetadata"]["commitSha"] == sha
    assert deployment["target"] == "production"
    shipped = {f["file"]: host.uploads[f["sha"]] for f in deployment["files"]}
    assert shipped[".vercel/output/static/index.html"] == f"{BUILT}\n".encode()
    # Polled until the deployment reached its final state, then no more.
    polls = [r for r in api.requests if r.method == "GET" and r.path.startswith("/v13/deployments/")]
    assert len(polls) == len(host.states)
    assert re.findall(r"Vercel deployment acme-standin1-team\.vercel\.app: (\w+)", log) == host.states, log
    # pull and deploy carried the token; `vercel build`, which runs the team's
    # commands, had none (it asks only who it is, and is told 403).
    sent = [r for r in api.requests if "authorization" in r.headers]
    assert sent and all(r.headers["authorization"] == f"Bearer {VERCEL_TOKEN}" for r in sent)
    assert {r.path.split("?")[0] for r in api.requests if "authorization" not in r.headers} <= {"/v2/user"}
    assert VERCEL_TOKEN not in run.output
    if final == "READY":
        assert run.returncode == 0, run.output[-6000:]
        assert run.job_result("Deploy") == "succeeded"
        assert_summary(run, "Vercel", "live", sha, "dpl_standin1", "READY")
    else:
        assert run.returncode != 0
        assert run.job_result("Deploy") == "failed"
        assert run.step_result("Deploy", deploy_step_name(project)) == "failed"
        assert f"ended in state '{final}'" in log
        assert_summary(run, "Vercel", "NOT live", sha, "dpl_standin1", final)
