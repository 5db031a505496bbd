"""`migpipe check-build --config`: the guard follows what Fly.io and Heroku run on their own.

Fly.io builds the Dockerfile (RUN) and starts it (CMD / ENTRYPOINT, or
[processes]); Heroku starts the Procfile's web: and its Node.js buildpack
runs package.json's lifecycle scripts. Each test writes a small repository
and runs the real CLI, as the generated guard script does in CI.
"""
from __future__ import annotations

import json
from pathlib import Path

from tests.hosts.conftest import FLY, HEROKU, write_config


def _package(root: Path, scripts: dict[str, str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "package.json").write_text(json.dumps({"name": "acme", "scripts": scripts}, indent=2) + "\n")


def _check(cli, root: Path):
    return cli(["check-build", "--root", ".", "--config", "pipeline.toml", "--format", "json"], root)


def _findings(result) -> list[dict]:
    return json.loads(result.out)["findings"]


# --------------------------------------------------------------------------
# Fly.io


def test_fly_dockerfile_cmd_that_migrates_is_found(tmp_path: Path, cli) -> None:
    write_config(tmp_path, FLY)
    (tmp_path / "Dockerfile").write_text(
        "FROM node:20-slim\nRUN npm ci && npm run build\nCMD npx prisma migrate deploy && node dist/server.js\n"
    )
    result = _check(cli, tmp_path)
    assert result.code == 1
    [finding] = _findings(result)
    assert (finding["file"], finding["line"]) == ("Dockerfile", 3)
    assert finding["command"] == "npx prisma migrate deploy"


def test_fly_dockerfile_run_and_entrypoint_through_scripts_are_found(tmp_path: Path, cli) -> None:
    write_config(tmp_path, FLY, 'dockerfile = "web.Dockerfile"', workdir="apps/api")
    app = tmp_path / "apps" / "api"
    _package(app, {"build": "tsc && npm run db:up", "db:up": "prisma migrate deploy"})
    (app / "web.Dockerfile").write_text(
        'FROM node:20-slim\nRUN npm run build\nENTRYPOINT ["sh", "-c", "prisma migrate deploy; exec node server.js"]\n'
    )
    result = _check(cli, tmp_path)
    assert result.code == 1
    chains = [finding["chain"] for finding in _findings(result)]
    assert chains == [
        ["apps/api/web.Dockerfile:2 RUN", "apps/api/package.json:4 scripts.build", "apps/api/package.json:5 scripts.db:up"],
        ["apps/api/web.Dockerfile:3 ENTRYPOINT"],
    ]


def test_fly_processes_start_command_is_followed(tmp_path: Path, cli) -> None:
    write_config(tmp_path, FLY, 'start_command = "npm run start"')
    _package(tmp_path, {"start": "prisma migrate deploy && node server.js"})
    result = _check(cli, tmp_path)
    assert result.code == 1
    [finding] = _findings(result)
    assert finding["chain"][0].startswith("pipeline.toml:") and finding["chain"][0].endswith("host.start_command")


def test_fly_release_command_added_to_fly_toml_by_hand_is_found(tmp_path: Path, cli) -> None:
    write_config(tmp_path, FLY)
    (tmp_path / "fly.toml").write_text('app = "acme-api"\n\n[deploy]\n  release_command = "npx prisma migrate deploy"\n')
    result = _check(cli, tmp_path)
    assert result.code == 1
    [finding] = _findings(result)
    assert finding["chain"] == ["fly.toml:4 deploy.release_command"]


def test_fly_clean_build_and_start_pass(tmp_path: Path, cli) -> None:
    write_config(tmp_path, FLY, 'start_command = "node dist/server.js"')
    _package(tmp_path, {"build": "prisma generate && tsc", "start": "node dist/server.js"})
    (tmp_path / "Dockerfile").write_text(
        "FROM node:20-slim\n# prisma migrate deploy runs in CI's migrate-prod job, not here\n"
        "RUN npm ci && npm run build\nCMD [\"node\", \"dist/server.js\"]\n"
    )
    result = _check(cli, tmp_path)
    assert (result.code, _findings(result)) == (0, [])


def test_fly_generated_fly_toml_passes(tmp_path: Path, cli) -> None:
    write_config(tmp_path, FLY, 'start_command = "node dist/server.js"')
    assert cli(["generate", "-c", "pipeline.toml", "--root", "."], tmp_path).code == 0
    assert (tmp_path / "fly.toml").is_file()
    result = _check(cli, tmp_path)
    assert (result.code, _findings(result)) == (0, [])


# --------------------------------------------------------------------------
# Heroku


def test_heroku_postbuild_that_migrates_is_found(tmp_path: Path, cli) -> None:
    write_config(tmp_path, HEROKU)
    _package(tmp_path, {"build": "tsc", "heroku-postbuild": "prisma migrate deploy && npm run build"})
    result = _check(cli, tmp_path)
    assert result.code == 1
    [finding] = _findings(result)
    assert finding["chain"] == ["package.json:5 scripts.heroku-postbuild"]
    assert finding["command"] == "prisma migrate deploy"


def test_heroku_prebuild_and_web_start_are_followed(tmp_path: Path, cli) -> None:
    write_config(tmp_path, HEROKU, 'start_command = "npm run start:web"', workdir="apps/api")
    _package(
        tmp_path / "apps" / "api",
        {"heroku-prebuild": "npx prisma migrate deploy", "start:web": "prisma db push && node server.js"},
    )
    result = _check(cli, tmp_path)
    assert result.code == 1
    whats = sorted(finding["chain"][-1] for finding in _findings(result))
    assert whats == ["apps/api/package.json:4 scripts.heroku-prebuild", "apps/api/package.json:5 scripts.start:web"]


def test_heroku_release_process_added_to_the_procfile_by_hand_is_found(tmp_path: Path, cli) -> None:
    write_config(tmp_path, HEROKU)
    (tmp_path / "Procfile").write_text("release: npx prisma migrate deploy\nweb: npm run start\n")
    result = _check(cli, tmp_path)
    assert result.code == 1
    [finding] = _findings(result)
    assert finding["chain"] == ["Procfile:1 release"]


def test_heroku_clean_build_passes(tmp_path: Path, cli) -> None:
    write_config(tmp_path, HEROKU)
    _package(
        tmp_path,
        {"build": "prisma generate && tsc", "heroku-postbuild": "npm run build", "start": "node dist/server.js"},
    )
    # generate checks that the paths pipeline.toml names exist in a project.
    (tmp_path / "prisma" / "migrations").mkdir(parents=True)
    (tmp_path / "prisma" / "schema.prisma").write_text('datasource db {\n  provider = "postgresql"\n}\n')
    assert cli(["generate", "-c", "pipeline.toml", "--root", "."], tmp_path).code == 0
    assert (tmp_path / "Procfile").is_file()
    result = _check(cli, tmp_path)
    assert (result.code, _findings(result)) == (0, [])
