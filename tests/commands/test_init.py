"""`migpipe init` on realistic repositories: it reproduces the team's own commands,
jobs and deploy steps, removes migrations from the host, and writes a valid file."""
from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from migpipe.cli import main
from migpipe.config import load_pipeline

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

    assert pipeline.ci.main_branch == "trunk"
    assert pipeline.ci.runner == "ubuntu-22.04"
    assert pipeline.ci.build_commands == ["npm run build"]
    assert set(pipeline.ci.test_jobs) == {"lint", "test"}
    assert pipeline.ci.test_jobs["lint"].commands == ["npm run lint", "npx tsc --noEmit"]
    test_job = pipeline.ci.test_jobs["test"]
    assert test_job.name == "Unit and integration tests"
    assert test_job.timeout_minutes == 25
    # `db push` is gone (the test database is built with real migrations); the
    # multi-line run block is one command.
    assert test_job.commands == ["npm test -- --reporter=dot", "npm run test:e2e --project=chromium"]
    assert pipeline.test_database.jobs == ["test"]
    assert (pipeline.test_database.user, pipeline.test_database.database, pipeline.test_database.port) == ("acme", "acme_test", 5433)

    # The Vercel and Slack steps are kept; the Render hook and the migration step are not.
    steps = {step.name: step for step in pipeline.deploy.extra_steps}
    assert list(steps) == ["Deploy web to Vercel", "Notify Slack"]
    vercel = steps["Deploy web to Vercel"]
    assert vercel.run == 'npx --yes vercel@39 deploy --prod --token "$VERCEL_TOKEN"'
    assert vercel.secrets == ["VERCEL_ORG_ID", "VERCEL_TOKEN"]
    assert vercel.env == {"VERCEL_PROJECT_ID": "team_acme_web"}
    assert steps["Notify Slack"].uses.startswith("slackapi/slack-github-action@")
    assert steps["Notify Slack"].with_ == {"webhook-type": "incoming-webhook"}
    assert pipeline.deploy.hook_secret == "RENDER_HOOK"
    assert "removed       .github/workflows/ci-cd.yml jobs.deploy step 'Migrate production'" in out
    assert "removed       .github/workflows/ci-cd.yml jobs.test step 'Push schema'" in out
    # What it could not carry over is said, one line each.
    assert "not carried   .github/workflows/ci-cd.yml jobs.deploy step 'Notify Slack': with.webhook = secrets.SLACK_WEBHOOK_URL" in out
    assert "not carried   .github/workflows/ci-cd.yml jobs.test step 'Integration tests': env API_KEY" in out
    assert "not carried   render.yaml databases" in out


def test_generate_after_init_keeps_the_team_jobs_and_verify_passes(tmp_path, capsys) -> None:
    repo = fixture_repo(tmp_path, "prisma6-npm-vercel")
    init(capsys, repo)
    config = str(repo / "pipeline.toml")
    assert main(["generate", "-c", config, "--root", str(repo), "--force"]) == 0
    assert main(["verify", "-c", config, "--root", str(repo)]) == 0
    capsys.readouterr()
    workflow = (repo / ".github/workflows/ci-cd.yml").read_text()
    for kept in ("npx tsc --noEmit", "npm run test:e2e --project=chromium", "vercel@39 deploy", "slackapi/slack-github-action@"):
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
    (step,) = pipeline.deploy.extra_steps
    # Inside single quotes the variable is spliced in double quotes, so it still expands.
    assert step.run == "curl -H 'Authorization: Bearer '\"$API_TOKEN\"'' https://example.com/$GITHUB_SHA"
    assert step.secrets == ["API_TOKEN"]
    assert "not carried   .github/workflows/deploy.yml jobs.ship step 'Fly deploy': uses ${{ steps.build.outputs.image }}" in out


def test_start_command_migration_is_removed_with_corpus_files(tmp_path, capsys) -> None:
    """documenso's real package.json and render.yaml (from ../shared/corpus)."""
    package = CORPUS / "documenso__documenso__package.json"
    render = CORPUS / "documenso__documenso__render.yaml"
    if not package.is_file():
        pytest.skip(f"{CORPUS} is not beside the repository")
    shutil.copy(package, tmp_path / "package.json")
    shutil.copy(render, tmp_path / "render.yaml")
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
    assert "NEXT_PRIVATE_SMTP_HOST" in pipeline.host.env_vars
    assert "not carried   render.yaml databases" in out
    # It is a valid policy that compiles.
    raw = tomllib.loads((tmp_path / "pipeline.toml").read_text())
    assert raw["host"]["auto_deploy"] is False
    assert main(["generate", "-c", str(tmp_path / "pipeline.toml"), "--root", str(tmp_path), "--force"]) == 0
