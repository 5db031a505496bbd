"""Makefiles and justfiles: rules, recipe lines, variables, and the command lines that run them."""
from __future__ import annotations

from pathlib import Path

import pytest

from migpipe.buildguard import Scanner, Step
from migpipe.buildguard.makefiles import TaskCall, expand, parse_justfile, parse_makefile, recipe_command, task_call
from migpipe.buildguard.shell import split_commands
from migpipe.profiles.tools.registry import COMMON_FORBIDDEN

MAKEFILE = (
    "# comment\n"
    "DB_URL ?= postgres://x\n"
    "MIGRATE := migrate -path db/migrations -database $(DB_URL)\n"
    ".PHONY: migrate run\n"
    "all: build\n"
    "build:\n"
    "\tgo build ./...\n"
    "migrate: build\n"
    "\t@$(MIGRATE) up\n"
    "\t-echo done \\\n"
    "\t  really\n"
    "run: migrate ; ./app\n"
    "%.o: %.c\n"
    "\tcc $<\n"
    "migrate: schema\n"
)


def test_makefile_rules_recipes_and_variables() -> None:
    parsed = parse_makefile(MAKEFILE)
    assert parsed.default == "all"
    assert {name: (r.line, r.prerequisites, r.commands) for name, r in parsed.recipes.items()} == {
        "all": (5, ("build",), ()),
        "build": (6, (), ((7, "go build ./..."),)),
        "migrate": (8, ("build", "schema"), ((9, "@$(MIGRATE) up"), (10, "-echo done really"))),
        "run": (12, ("migrate",), ((12, "./app"),)),
    }
    line = recipe_command(expand("@$(MIGRATE) up && $(MAKE) run $$HOME $(shell date)", parsed.variables, "make"))
    assert line == "migrate -path db/migrations -database postgres://x up && make run $HOME $(shell date)"


def test_justfile_recipes() -> None:
    parsed = parse_justfile(
        'set dotenv-load\ndb := "app"\n\ndefault: migrate\n# apply\n[private]\nmigrate env="dev": build\n'
        "    sqlx migrate run --database-url {{db}}\n@build:\n    cargo build\n"
    )
    assert parsed.default == "default"
    assert {name: (r.line, r.prerequisites, r.commands) for name, r in parsed.recipes.items()} == {
        "default": (4, ("migrate",), ()),
        "migrate": (7, ("build",), ((8, "sqlx migrate run --database-url {{db}}"),)),
        "build": (9, (), ((10, "cargo build"),)),
    }
    assert expand("sqlx migrate run --database-url {{ db }} {{other}}", parsed.variables, "just") == "sqlx migrate run --database-url app {{other}}"


@pytest.mark.parametrize(
    ("command", "call"),
    [
        ("make -j2 migrateup", TaskCall("make", ["migrateup"])),
        ("make -C backend -f build.mk DB=x migrate seed", TaskCall("make", ["migrate", "seed"], "backend", "build.mk", {"DB": "x"})),
        ("make --directory=api", TaskCall("make", [], "api")),
        ("just --justfile ops/justfile release v1", TaskCall("just", ["release"], None, "ops/justfile")),
        ("just", TaskCall("just", [])),
    ],
)
def test_task_call(command: str, call: TaskCall) -> None:
    (parsed,) = split_commands(command)
    assert task_call(list(parsed.words)) == call


def test_just_list_runs_no_recipe() -> None:
    (parsed,) = split_commands("just --list")
    assert task_call(list(parsed.words)) is None


def test_missing_makefile_or_target_is_not_followed(tmp_path: Path) -> None:
    scanner = Scanner(tmp_path, COMMON_FORBIDDEN)
    scanner.check_command("make migrate", Step("Procfile", 1, "release"), tmp_path)
    (tmp_path / "Makefile").write_text("build:\n\tgo build\n")
    scanner.check_command("make migrate", Step("Procfile", 2, "release"), tmp_path)
    assert [(item.reference, item.reason) for item in scanner.unresolved] == [
        ("make migrate", "make: no Makefile found in the repository here"),
        ("migrate", "make: no such target in Makefile"),
    ]
