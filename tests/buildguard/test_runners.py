"""Monorepo runners and workspace filters: which packages' scripts a command runs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from migpipe.buildguard.runners import task_runner, workspace_run
from migpipe.buildguard.shell import split_commands
from migpipe.buildguard.workspace import load_workspace


def _run(command: str) -> tuple[str, list[str], list[str] | None, list[str] | None] | None:
    (simple,) = split_commands(command)
    run = workspace_run(list(simple.words))
    return None if run is None else (run.runner, run.scripts, run.selectors, run.exec_words)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("turbo run build --filter=web", ("turbo", ["build"], ["web"], None)),
        ("turbo build --filter={apps/web}...", ("turbo", ["build"], ["{apps/web}..."], None)),
        ("turbo run build lint -F ./apps/api -F @acme/db", ("turbo", ["build", "lint"], ["./apps/api", "@acme/db"], None)),
        ("turbo run build", ("turbo", ["build"], None, None)),
        ("pnpm --filter @acme/db db:deploy", ("pnpm", ["db:deploy"], ["@acme/db"], None)),
        ("pnpm -F=./packages/db run migrate", ("pnpm", ["migrate"], ["./packages/db"], None)),
        ("pnpm -r build", ("pnpm", ["build"], None, None)),
        ("pnpm --filter db exec prisma migrate deploy", ("pnpm", [], ["db"], ["prisma", "migrate", "deploy"])),
        ("npm run migrate -w @acme/db", ("npm", ["migrate"], ["@acme/db"], None)),
        ("npm run build --workspaces", ("npm", ["build"], None, None)),
        ("yarn workspace api build", ("yarn", ["build"], ["api"], None)),
        ("yarn workspaces foreach -A run build", ("yarn", ["build"], None, None)),
        ("yarn workspaces foreach --include db run migrate", ("yarn", ["migrate"], ["db"], None)),
        ("nx run db:migrate", ("nx", ["migrate"], ["db"], None)),
        ("nx run-many -t build -p web,api", ("nx", ["build"], ["web", "api"], None)),
        ("lerna run migrate --scope @acme/db", ("lerna", ["migrate"], ["@acme/db"], None)),
        # full-stack-fastapi-template's root package.json: "lint": "bun run --filter frontend lint".
        ("bun run --filter frontend lint", ("bun", ["lint"], ["frontend"], None)),
        ("bun --filter './packages/*' db:migrate", ("bun", ["db:migrate"], ["./packages/*"], None)),
    ],
)
def test_runner_is_parsed(command: str, expected: tuple[str, list[str], list[str] | None, list[str] | None]) -> None:
    assert _run(command) == expected


@pytest.mark.parametrize(
    "command",
    ["pnpm install", "pnpm run build", "npm run build", "yarn build", "turbo prune web --docker", "pnpm --filter web deploy /out", "nx graph", "bun run build"],
)
def test_not_a_workspace_runner(command: str) -> None:
    assert _run(command) is None


def test_task_runners() -> None:
    (task,) = split_commands("task pre_deploy --verbose")
    (make,) = split_commands("make -j2 migrateup")
    assert task_runner(list(task.words)) == ("taskipy", "pre_deploy", ["--verbose"])
    assert task_runner(list(make.words)) == ("make", "migrateup", ["migrateup"])


def _workspace(tmp_path: Path) -> Path:
    (tmp_path / "pnpm-workspace.yaml").write_text("packages:\n  - 'apps/*'\n  - 'packages/*'\n")
    (tmp_path / "package.json").write_text(json.dumps({"name": "root"}))
    for directory, name, deps in (
        ("apps/web", "web", ["@acme/ui"]),
        ("packages/ui", "@acme/ui", ["@acme/db"]),
        ("packages/db", "@acme/db", []),
        ("apps/docs", "docs", []),
    ):
        (tmp_path / directory).mkdir(parents=True)
        package = {"name": name, "dependencies": {dep: "workspace:*" for dep in deps}}
        (tmp_path / directory / "package.json").write_text(json.dumps(package))
    return tmp_path


@pytest.mark.parametrize(
    ("selector", "names"),
    [
        ("web", ["web"]),
        ("./apps/web", ["web"]),
        ("{apps/web}", ["web"]),
        ("web...", ["@acme/db", "@acme/ui", "web"]),
        ("{apps/web}...", ["@acme/db", "@acme/ui", "web"]),
        ("...@acme/db", ["@acme/db", "@acme/ui", "web"]),
        ("@acme/*", ["@acme/db", "@acme/ui"]),
        ("./packages", ["@acme/db", "@acme/ui"]),
        ("!docs", []),
    ],
)
def test_filter_selects(tmp_path: Path, selector: str, names: list[str]) -> None:
    workspace = load_workspace(_workspace(tmp_path), tmp_path)
    assert workspace is not None
    chosen = workspace.select(selector, tmp_path)
    assert chosen is not None
    assert sorted(member.name for member in chosen) == names


def test_filter_selecting_nothing_is_none(tmp_path: Path) -> None:
    workspace = load_workspace(_workspace(tmp_path), tmp_path)
    assert workspace is not None and workspace.select("api", tmp_path) is None


def test_package_json_workspaces(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "root", "workspaces": {"packages": ["libs/*"]}}))
    (tmp_path / "libs" / "db").mkdir(parents=True)
    (tmp_path / "libs" / "db" / "package.json").write_text(json.dumps({"name": "db"}))
    workspace = load_workspace(tmp_path / "libs" / "db", tmp_path)
    assert workspace is not None and [m.name for m in workspace.members] == ["root", "db"]
