"""`migpipe init` on realistic repositories: it reproduces the team's own commands,
jobs and deploy steps, removes migrations from the host, and writes a valid file."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import tomllib

from migpipe.cli import main
from migpipe.pipeline import load_pipeline

FIXTURES = Path(__file__).resolve().parent / "init_fixtures"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "build-configs"


def init(capsys, root: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["init", "--root", str(root), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def fixture_repo(tmp_path: Path, case: str) -> Path:
    repo = tmp_path / case
    shutil.copytree(FIXTURES / case, repo)
    return repo


def test_prisma6_npm_repo_keeps_the_teams_commands_and_removes_the_migration(tmp_path, capsys) -> None:
    repo = fixture_repo(tmp_path, "prisma6-npm-vercel")
    code, out, _ = init(capsys, repo)
    assert code == 0
    text = (repo / "pipeline.toml").read_text()
    assert text.startswith("#:schema https://migpipe.dev/schemas/pipeline.schema.json\n")
    pipeline = load_pipeline(repo / "pipeline.toml")

    assert (pipeline.project.name, pipeline.project.package_manager, pipeline.project.node_version) == ("acme-shop", "npm", "20")
    assert (pipeline.tool.version, pipeline.tool.schema_path, pipeline.tool.migrations_dir) == (6, "prisma/schema.prisma", "prisma/migrations")
    # render.yaml: `npm ci && npx prisma migrate deploy && npm run build` loses its migration.
    assert pipeline.host.build_command == "npm ci && npm run build"
    assert pipeline.host.start_command == "npm run start"
    assert (pipeline.host.service_name, pipeline.host.region, pipeline.host.plan) == ("acme-shop-api", "frankfurt", "starter")
    assert pipeline.host.health_check_path == "/healthz"
    assert "removed       render.yaml buildCommand: `npx prisma migrate deploy`" in out
    # The host it chose is named with its evidence, as every other detection is.
    assert 'detected      host.name = "render" (from render.yaml' in out

    assert pipeline.ci.main_branch == "trunk"
    assert pipeline.ci.build_commands == ["npm run build"]
    # The team's jobs are carried as they are: ids, needs, if, env, secrets where they were.
    assert pipeline.ci.test_jobs == {}
    assert list(pipeline.ci.team_jobs) == ["lint", "test", "team-deploy"]
    assert pipeline.ci.team_deploy_jobs == ["team-deploy"]
    assert pipeline.ci.triggers == {"push": {"branches": ["trunk"]}, "pull_request": {}}
    lint = pipeline.ci.team_jobs["lint"]
    assert lint["runs-on"] == "ubuntu-22.04"
    assert [step.get("run") for step in lint["steps"]] == [None, None, "npm ci", "npm run lint", "npx tsc --noEmit"]
    test_job = pipeline.ci.team_jobs["test"]
    assert (test_job["name"], test_job["timeout-minutes"]) == ("Unit and integration tests", 25)
    assert test_job["env"] == {"DATABASE_URL": "postgresql://acme:acme@localhost:5433/acme_test"}
    # `db push` became migpipe's step that builds the database with the real migrations.
    assert test_job["steps"][3] == {"migpipe": "test-database", "name": "Push schema"}
    assert test_job["steps"][6]["env"] == {"API_KEY": "${{ secrets.E2E_API_KEY }}"}
    deploy = pipeline.ci.team_jobs["team-deploy"]
    assert (deploy["needs"], deploy["if"]) == (["lint", "test"], "github.ref == 'refs/heads/trunk'")
    steps = {step.get("name"): step for step in deploy["steps"]}
    # The migration and the Render deploy (migpipe's deploy job does it) are gone; the rest stays.
    assert "Migrate production" not in steps and "Trigger Render deploy" not in steps
    assert steps["Deploy web to Vercel"]["env"]["VERCEL_ORG_ID"] == "${{ secrets.VERCEL_ORG_ID }}"
    assert steps["Notify Slack"]["with"] == {"webhook-type": "incoming-webhook", "webhook": "${{ secrets.SLACK_WEBHOOK_URL }}"}
    assert pipeline.deploy.hook_secret == "RENDER_HOOK"
    assert "changed       .github/workflows/ci-cd.yml jobs.deploy step 4 'Migrate production': removed `npx prisma migrate deploy`" in out
    assert "changed       .github/workflows/ci-cd.yml jobs.test step 4 'Push schema': `npx prisma db push --skip-generate` replaced" in out
    assert "changed       .github/workflows/ci-cd.yml jobs.deploy: renamed team-deploy" in out
    # render.yaml's databases are carried as the team wrote them.
    assert pipeline.host.blueprint == {"databases": [{"name": "acme-db", "plan": "basic-256mb"}]}
    # Everything init changed or could not carry is also written in the file.
    assert "#   - .github/workflows/ci-cd.yml jobs.deploy step 5 'Trigger Render deploy': removed, a deploy to render" in text


def test_generate_after_init_keeps_the_team_jobs_and_verify_passes(tmp_path, capsys) -> None:
    repo = fixture_repo(tmp_path, "prisma6-npm-vercel")
    init(capsys, repo)
    config = str(repo / "pipeline.toml")
    assert main(["generate", "-c", config, "--root", str(repo), "--force"]) == 0
    assert main(["verify", "-c", config, "--root", str(repo)]) == 0
    capsys.readouterr()
    workflow = (repo / ".github/workflows/ci-cd.yml").read_text()
    for kept in ("npx tsc --noEmit", "--project=chromium", "vercel@39 deploy", "slackapi/slack-github-action@", "${{ secrets.SLACK_WEBHOOK_URL }}"):
        assert kept in workflow
    assert "prisma db push --skip-generate" not in workflow
    render = (repo / "render.yaml").read_text()
    assert "buildCommand: npm ci && npm run build" in render
    assert "migrate" not in render.split("services:", 1)[1]


def test_prisma7_pnpm_repo_without_workflow(tmp_path, capsys) -> None:
    repo = fixture_repo(tmp_path, "prisma7-pnpm")
    # No host config in the repository: refused, naming what to pass.
    code, out, err = init(capsys, repo)
    assert code == 2
    assert "no host config found" in err and "--host" in err and "Traceback" not in err
    assert not (repo / "pipeline.toml").exists()
    code, out, _ = init(capsys, repo, "--host", "render")
    assert code == 0
    pipeline = load_pipeline(repo / "pipeline.toml")
    assert pipeline.tool.version == 7
    assert (pipeline.tool.schema_path, pipeline.tool.migrations_dir, pipeline.tool.config_path) == (
        "db/schema.prisma",
        "db/migrations",
        "prisma.config.ts",
    )
    assert pipeline.project.package_manager == "pnpm"
    assert pipeline.project.node_version == "22"
    assert pipeline.host.service_name == "ledger-api"
    assert pipeline.host.build_command == "pnpm install --frozen-lockfile && pnpm run build"
    assert pipeline.ci.build_commands == ["pnpm run build"]
    assert {job: spec.commands for job, spec in pipeline.ci.test_jobs.items()} == {
        "lint": ["pnpm run lint"],
        "tests": ["pnpm run test"],
    }
    assert pipeline.test_database.jobs == ["tests"]
    assert "not detected  GitHub workflow: no push / pull_request CI workflow under .github/workflows" in out
    assert "not detected  main branch" in out
    assert 'main_branch = "main"' in (repo / "pipeline.toml").read_text()
    assert 'detected      host.name = "render" (from --host' in out


def test_empty_directory_is_refused_naming_what_was_looked_for(tmp_path, capsys) -> None:
    # No migration tool: a guess would be a wrong pipeline, so nothing is written.
    code, out, err = init(capsys, tmp_path)
    assert code == 2
    assert "no migration tool found" in err and "prisma" in err and "alembic" in err
    assert "Traceback" not in err
    assert not (tmp_path / "pipeline.toml").exists()


def _minimal_prisma_render_repo(root: Path) -> None:
    (root / "package.json").write_text('{"name": "x", "devDependencies": {"prisma": "6.1.0"}}')
    (root / "prisma").mkdir()
    (root / "prisma" / "schema.prisma").write_text('datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n')
    (root / "prisma" / "migrations").mkdir()
    (root / "render.yaml").write_text("services:\n  - type: web\n    name: x\n    runtime: node\n    buildCommand: npm ci\n    startCommand: npm start\n")


def test_refuses_to_overwrite_without_force(tmp_path, capsys) -> None:
    _minimal_prisma_render_repo(tmp_path)
    (tmp_path / "pipeline.toml").write_text("# mine\n")
    code, out, err = init(capsys, tmp_path)
    assert code == 2
    assert "already exists" in err and "--force" in err
    assert "Traceback" not in err
    assert (tmp_path / "pipeline.toml").read_text() == "# mine\n"
    code, _, _ = init(capsys, tmp_path, "--force")
    assert code == 0
    load_pipeline(tmp_path / "pipeline.toml")


def test_missing_root_is_a_usage_error(tmp_path, capsys) -> None:
    code, _, err = init(capsys, tmp_path / "nope")
    assert code == 2
    assert "no such directory" in err


def test_secret_expressions_in_run_become_env_variables(tmp_path, capsys) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    _minimal_prisma_render_repo(tmp_path)
    (workflows / "deploy.yml").write_text(
        "on:\n  push:\n    branches: [main]\njobs:\n  ship:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - name: Deploy\n"
        "        run: |\n"
        "          curl -H 'Authorization: Bearer ${{ secrets.API_TOKEN }}' https://example.com/${{ github.sha }}\n"
        "      - name: Fly deploy\n"
        "        run: flyctl deploy --image ${{ steps.build.outputs.image }}\n"
    )
    code, out, _ = init(capsys, tmp_path)
    assert code == 0
    pipeline = load_pipeline(tmp_path / "pipeline.toml")
    assert pipeline.outputs.workflow == ".github/workflows/deploy.yml"
    # Carried as written: the expressions stay where the team put them.
    ship = pipeline.ci.team_jobs["ship"]
    assert ship["steps"][0]["run"] == "curl -H 'Authorization: Bearer ${{ secrets.API_TOKEN }}' https://example.com/${{ github.sha }}\n"
    assert ship["steps"][1]["run"] == "flyctl deploy --image ${{ steps.build.outputs.image }}"
    # An expression an outsider may shape is reported (zizmor's template injection), not rewritten.
    assert "check         .github/workflows/deploy.yml jobs.ship step 2 'Fly deploy': run: expands ${{ steps.build.outputs.image }}" in out
    assert main(["generate", "-c", str(tmp_path / "pipeline.toml"), "--root", str(tmp_path), "--force"]) == 0


def test_start_command_migration_is_removed_with_corpus_files(tmp_path, capsys) -> None:
    """documenso's real package.json and render.yaml (from ../shared/corpus)."""
    package = CORPUS / "documenso__documenso__package.json"
    render = CORPUS / "documenso__documenso__render.yaml"
    if not package.is_file():
        pytest.skip(f"{CORPUS} is not beside the repository")
    shutil.copy(package, tmp_path / "package.json")
    shutil.copy(render, tmp_path / "render.yaml")
    # The schema its start command names (the corpus keeps only the two files).
    (tmp_path / "packages" / "prisma" / "migrations").mkdir(parents=True)
    (tmp_path / "packages" / "prisma" / "schema.prisma").write_text('datasource db {\n  provider = "postgresql"\n  url = env("NEXT_PRIVATE_DATABASE_URL")\n}\n')
    code, out, _ = init(capsys, tmp_path)
    assert code == 0
    pipeline = load_pipeline(tmp_path / "pipeline.toml")
    assert pipeline.tool.version == 6  # devDependencies prisma ^6.19.0
    assert pipeline.project.name == "@documenso/root" or pipeline.project.name
    assert pipeline.host.service_name == "documenso-app"
    assert pipeline.host.plan == "free"
    assert pipeline.host.build_command == "npm i && npm run build"
    # startCommand: `npx prisma migrate deploy --schema ... && npx turbo run start ...`
    assert pipeline.host.start_command == "npx turbo run start --filter=@documenso/remix"
    assert "removed       render.yaml startCommand: `npx prisma migrate deploy --schema packages/prisma/schema.prisma`" in out
    assert pipeline.project.node_version == "22"  # engines.node >=22.0.0
    # Every env var entry is carried whole (values, fromDatabase, generateValue), not as a bare name.
    assert "NEXT_PRIVATE_SMTP_HOST" in [entry["key"] for entry in pipeline.host.service_extra["envVars"]]
    assert "databases" in pipeline.host.blueprint
    # It is a valid policy that compiles.
    raw = tomllib.loads((tmp_path / "pipeline.toml").read_text())
    assert raw["host"]["auto_deploy"] is False
    assert main(["generate", "-c", str(tmp_path / "pipeline.toml"), "--root", str(tmp_path), "--force"]) == 0


def test_generate_names_every_referenced_path_that_is_missing(tmp_path, capsys) -> None:
    _minimal_prisma_render_repo(tmp_path)
    assert init(capsys, tmp_path)[0] == 0
    (tmp_path / "prisma" / "migrations").rmdir()
    (tmp_path / "prisma" / "schema.prisma").unlink()
    code = main(["generate", "-c", str(tmp_path / "pipeline.toml"), "--root", str(tmp_path), "--force"])
    _, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err
    assert "tool.schema_path: 'prisma/schema.prisma' does not exist" in err
    assert "tool.migrations_dir: 'prisma/migrations' does not exist" in err
    assert not (tmp_path / ".github").exists()


def test_init_names_what_the_guard_will_still_find_after_generate(tmp_path, capsys) -> None:
    # render.yaml is regenerated without its migration; a Dockerfile the team
    # also ships (here: a self-hosting image) keeps its own, and the first
    # build-verification run would fail on it without init saying so.
    repo = fixture_repo(tmp_path, "prisma6-npm-vercel")
    (repo / "docker").mkdir()
    (repo / "docker" / "start.sh").write_text("#!/bin/sh\nnpx prisma migrate deploy\nexec node server.js\n")
    (repo / "Dockerfile").write_text("FROM node:20\nCOPY docker/start.sh /app/start.sh\nCMD [\"/app/start.sh\"]\n")

    code, out, _ = init(capsys, repo)

    assert code == 0
    still = [line for line in out.splitlines() if "still migrates" in line]
    assert len(still) == 1, out
    assert still[0].startswith("not carried   Dockerfile: still migrates, so build-verification will fail: Dockerfile:3 CMD")
    assert "[[guards.exempt]] path = 'Dockerfile'" in still[0]
    assert "#   - Dockerfile: still migrates" in (repo / "pipeline.toml").read_text()
    # The host config init regenerates is not among them: generate takes its migration out.
    assert not any("render.yaml" in line.split(":")[0] for line in still)

    # And without the Dockerfile, init says nothing of the kind.
    (repo / "Dockerfile").unlink()
    code, out, _ = init(capsys, repo, "--force")
    assert code == 0
    assert "still migrates" not in out


# ---- every variable the tool reads a URL from ------------------------------------


def _effective_env(job: dict, step: dict) -> dict:
    return {**(job.get("env") or {}), **(step.get("env") or {})}


def _steps_running_the_tool(workflow: dict) -> list[tuple[str, dict, dict]]:
    """(job id, job, step) of every step that runs prisma, directly or through migpipe migrate."""
    found = []
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            run = step.get("run") or ""
            if ("prisma migrate" in run or "migpipe migrate" in run or "migrate-with-guards" in run) and "--server-major" not in run:
                found.append((job_id, job, step))
    return found


def _with_direct_url(schema: Path) -> None:
    text = schema.read_text(encoding="utf-8")
    schema.write_text(text.replace('url      = env("DATABASE_URL")\n', 'url      = env("DATABASE_URL")\n  directUrl = env("DIRECT_URL")\n'), encoding="utf-8")
    assert "directUrl" in schema.read_text(encoding="utf-8")


def test_a_direct_url_is_set_in_every_job_that_runs_prisma(tmp_path, capsys) -> None:
    from ruamel.yaml import YAML

    # The team's workflow (a team test job whose `db push` becomes the test-database step)...
    carried = fixture_repo(tmp_path, "prisma6-npm-vercel")
    _with_direct_url(carried / "prisma" / "schema.prisma")
    # ... and no workflow at all (migpipe's own test jobs).
    own = tmp_path / "own"
    own.mkdir()
    _minimal_prisma_render_repo(own)
    (own / "package.json").write_text('{"name": "x", "scripts": {"test": "vitest run"}, "devDependencies": {"prisma": "6.1.0"}}')
    (own / "prisma" / "schema.prisma").write_text(
        'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n  directUrl = env("DIRECT_URL")\n}\n'
    )
    for repo in (carried, own):
        code, out, _ = init(capsys, repo)
        assert code == 0
        assert "prisma also reads DIRECT_URL (directUrl); every job that runs prisma sets it" in out
        pipeline = load_pipeline(repo / "pipeline.toml")
        assert pipeline.test_database.other_url_envs == {"DIRECT_URL": "PRODUCTION_DIRECT_URL"}
        config = str(repo / "pipeline.toml")
        assert main(["generate", "-c", config, "--root", str(repo), "--force"]) == 0
        assert main(["verify", "-c", config, "--root", str(repo)]) == 0
        capsys.readouterr()
        workflow = YAML(typ="safe", pure=True).load((repo / pipeline.output_paths()["workflow"]).read_text())
        steps = _steps_running_the_tool(workflow)
        jobs = {job_id for job_id, _, _ in steps}
        assert {"migrate-plan", "migrate-prod"} <= jobs and jobs - {"migrate-plan", "migrate-prod"}, jobs
        for job_id, job, step in steps:
            env = _effective_env(job, step)
            assert {"DATABASE_URL", "DIRECT_URL"} <= set(env), (job_id, step.get("name"), env)
            if job_id == "migrate-prod":
                assert (env["DATABASE_URL"], env["DIRECT_URL"]) == (
                    "${{ secrets.PRODUCTION_DATABASE_URL }}", "${{ secrets.PRODUCTION_DIRECT_URL }}")
            elif job_id == "migrate-plan":
                assert env["DIRECT_URL"] == env["DATABASE_URL"] == "${{ secrets.PRODUCTION_DATABASE_URL_READONLY }}"
            elif repo is own:
                # migpipe's own test job: both point at its test database.
                assert env["DIRECT_URL"] == env["DATABASE_URL"] and "@localhost:5432/" in env["DATABASE_URL"]
            else:
                # The team's job keeps its own DATABASE_URL; DIRECT_URL follows it unless the team set one.
                assert env["DATABASE_URL"] == "postgresql://acme:acme@localhost:5433/acme_test"
                assert env["DIRECT_URL"] == "${{ env.DIRECT_URL || env.DATABASE_URL }}"


def test_other_url_envs_must_not_name_the_main_variable_or_the_read_only_secret(tmp_path, capsys) -> None:
    _minimal_prisma_render_repo(tmp_path)
    assert init(capsys, tmp_path, "--force")[0] == 0
    config = tmp_path / "pipeline.toml"
    text = config.read_text()
    for line, expected in (
        ('other_url_envs = { DATABASE_URL = "PRODUCTION_X" }', "other_url_envs.DATABASE_URL: is url_env already"),
        ('other_url_envs = { DIRECT_URL = "PRODUCTION_DATABASE_URL_READONLY" }', "is approval.plan_database_url_secret"),
        ('url_part_envs = { DATABASE_URL = "host" }', "url_part_envs.DATABASE_URL: is url_env already"),
        ('url_part_envs = { PGHOST = "hostname" }', "url_part_envs.PGHOST"),
    ):
        config.write_text(text.replace('url_env = "DATABASE_URL"', f'url_env = "DATABASE_URL"\n{line}', 1))
        assert 'url_env = "DATABASE_URL"\n' in config.read_text()
        assert main(["generate", "-c", str(config), "--root", str(tmp_path), "--force"]) == 2
        _, err = capsys.readouterr()
        assert expected in err and "Traceback" not in err


# ---- Vercel ------------------------------------------------------------------------


TEAM_VERCEL_JSON = {
    "$schema": "https://openapi.vercel.sh/vercel.json",
    "framework": "nextjs",
    "buildCommand": "npx prisma migrate deploy && npm run build",
    "git": {"deploymentEnabled": {"trunk": True}},
    "github": {"enabled": True, "silent": True},
    "crons": [{"path": "/api/cron/digest", "schedule": "0 * * * *"}],
    "headers": [{"source": "/(.*)", "headers": [{"key": "X-Frame-Options", "value": "DENY"}]}],
}


def test_a_vercel_repository_is_adopted_with_its_vercel_json_carried(tmp_path, capsys) -> None:
    import json

    from ruamel.yaml import YAML

    repo = fixture_repo(tmp_path, "prisma6-npm-vercel")
    (repo / "render.yaml").unlink()
    (repo / "vercel.json").write_text(json.dumps(TEAM_VERCEL_JSON, indent=2))
    code, out, _ = init(capsys, repo)
    assert code == 0
    pipeline = load_pipeline(repo / "pipeline.toml")
    assert pipeline.host.name == "vercel"
    # The migration is taken out of the build command; the rest of vercel.json is carried as written.
    assert pipeline.host.build_command == "npm run build"
    assert "removed       vercel.json buildCommand: `npx prisma migrate deploy`" in out
    assert pipeline.host.extra == {
        "framework": "nextjs",
        "github": {"enabled": False, "silent": True},
        "crons": TEAM_VERCEL_JSON["crons"],
        "headers": TEAM_VERCEL_JSON["headers"],
    }
    assert 'changed       vercel.json git.deploymentEnabled: {"trunk": true} becomes false' in out
    assert "changed       vercel.json github.enabled: becomes false" in out
    # The team's Vercel deploy step is migpipe's deploy job now; its token secret is the one [host] names.
    assert "jobs.deploy step 6 'Deploy web to Vercel': removed, a deploy to vercel" in out
    assert (pipeline.host.token_secret, pipeline.host.org_id_secret) == ("VERCEL_TOKEN", "VERCEL_ORG_ID")

    config = str(repo / "pipeline.toml")
    assert main(["generate", "-c", config, "--root", str(repo), "--force"]) == 0
    assert main(["verify", "-c", config, "--root", str(repo)]) == 0
    capsys.readouterr()
    written = json.loads((repo / "vercel.json").read_text())
    assert written == {
        "$schema": "https://openapi.vercel.sh/vercel.json",
        "buildCommand": "npm run build",
        "framework": "nextjs",
        "github": {"enabled": False, "silent": True},
        "crons": TEAM_VERCEL_JSON["crons"],
        "headers": TEAM_VERCEL_JSON["headers"],
        "git": {"deploymentEnabled": False},
    }
    workflow = YAML(typ="safe", pure=True).load((repo / ".github/workflows/ci-cd.yml").read_text())
    team_deploy = workflow["jobs"]["team-deploy"]
    assert not any("vercel" in str(step.get("run", "")) for step in team_deploy["steps"])
    assert "migrate-prod" in team_deploy["needs"]


def test_a_vercel_json_outside_the_tools_directory_is_refused(tmp_path, capsys) -> None:
    (tmp_path / "package.json").write_text('{"name": "mono", "private": true, "workspaces": ["packages/*"]}')
    db = tmp_path / "packages" / "db"
    (db / "prisma" / "migrations").mkdir(parents=True)
    (db / "package.json").write_text('{"name": "db", "devDependencies": {"prisma": "6.1.0"}}')
    (db / "prisma" / "schema.prisma").write_text('datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n')
    (tmp_path / "vercel.json").write_text('{"framework": "nextjs"}')
    code, _, err = init(capsys, tmp_path)
    assert code == 2 and "Traceback" not in err
    assert "vercel.json: Vercel reads vercel.json at the root of the project it builds" in err and "packages/db" in err
    assert not (tmp_path / "pipeline.toml").exists()


def test_django_settings_reading_the_connection_piece_by_piece(tmp_path, capsys) -> None:
    from ruamel.yaml import YAML

    # Like railwayapp-templates/django: DATABASES reads PGDATABASE, PGUSER, … one by one.
    (tmp_path / "manage.py").write_text(
        'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\nfrom django.core.management import execute_from_command_line\n'
    )
    (tmp_path / "requirements.txt").write_text("Django==5.0.6\npsycopg2==2.9.9\n")
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "settings.py").write_text(
        "import os\nDATABASES = {\n    'default': {\n        'ENGINE': 'django.db.backends.postgresql',\n"
        "        'NAME': os.environ[\"PGDATABASE\"],\n        'USER': os.environ[\"PGUSER\"],\n"
        "        'PASSWORD': os.environ[\"PGPASSWORD\"],\n        'HOST': os.environ[\"PGHOST\"],\n"
        "        'PORT': os.environ[\"PGPORT\"],\n    }\n}\n"
    )
    (tmp_path / "render.yaml").write_text("services:\n  - type: web\n    name: site\n    runtime: python\n    buildCommand: pip install -r requirements.txt\n    startCommand: gunicorn mysite.wsgi\n")
    code, out, _ = init(capsys, tmp_path)
    assert code == 0
    assert "django reads its connection piece by piece (PGDATABASE, PGUSER, PGPASSWORD, PGHOST, PGPORT)" in out
    pipeline = load_pipeline(tmp_path / "pipeline.toml")
    assert pipeline.test_database.url_part_envs == {
        "PGDATABASE": "database", "PGUSER": "user", "PGPASSWORD": "password", "PGHOST": "host", "PGPORT": "port",
    }
    config = str(tmp_path / "pipeline.toml")
    assert main(["generate", "-c", config, "--root", str(tmp_path), "--force"]) == 0
    assert main(["verify", "-c", config, "--root", str(tmp_path)]) == 0
    capsys.readouterr()
    workflow = YAML(typ="safe", pure=True).load((tmp_path / ".github/workflows/ci-cd.yml").read_text())
    [drift] = [s for s in workflow["jobs"]["review"]["steps"] if s.get("name") == "Check the migrations match the schema"]
    assert {k: str(v) for k, v in drift["env"].items() if k.startswith("PG")} == {
        "PGDATABASE": "shadow", "PGUSER": "postgres", "PGPASSWORD": "postgres", "PGHOST": "localhost", "PGPORT": "5432",
    }


def test_the_generate_command_init_prints_works_from_where_init_ran(tmp_path, capsys) -> None:
    import re
    import shlex

    _minimal_prisma_render_repo(tmp_path)
    code, out, _ = init(capsys, tmp_path)
    assert code == 0
    command = re.search(r"then run `(migpipe generate[^`]*)`", out)
    assert command is not None and f"--root {tmp_path}" in command.group(1), out
    assert main(shlex.split(command.group(1))[1:]) == 0
    capsys.readouterr()
    assert (tmp_path / ".github" / "workflows" / "ci-cd.yml").is_file()
