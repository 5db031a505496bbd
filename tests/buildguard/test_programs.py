"""Programs a host runs: the commands they spawn and the migration APIs they call, read from their text."""
from __future__ import annotations

from pathlib import Path

import pytest

from migpipe.buildguard import Scanner
from migpipe.buildguard.programs import PLACEHOLDER, read_program, source_candidates
from migpipe.buildguard.repository import check_repository
from migpipe.profiles.tools.known import JUDGED_BY_ARGUMENTS
from migpipe.profiles.tools.registry import COMMON_FORBIDDEN

APIS = [
    ("js", 'import { migrate } from "drizzle-orm/postgres-js/migrator";\nawait migrate(db, { migrationsFolder: "drizzle" });\n', 2, "drizzle"),
    ("js", 'import { migrate as run } from "drizzle-orm/node-postgres/migrator";\nawait run(db, {});\n', 2, "drizzle"),
    ("js", "const db = knex(config);\nawait db.migrate.latest();\n", 2, "knex"),
    ("ts", "await dataSource.runMigrations({ transaction: 'all' });\n", 1, "typeorm runMigrations"),
    ("ts", "export default new DataSource({\n  type: 'postgres',\n  migrationsRun: true,\n});\n", 3, "typeorm migrationsRun"),
    ("js", "const umzug = new Umzug({});\nawait umzug.up();\n", 2, "umzug"),
    ("ts", "await migrations.up();\n", 1, "umzug"),
    ("ts", "await orm.getMigrator().up();\n", 1, "mikro-orm"),
    ("js", 'import runner from "node-pg-migrate";\nawait runner({ direction: "up" });\n', 2, "node-pg-migrate"),
    ("python", "from django.core.management import call_command\ncall_command('migrate', interactive=False)\n", 2, "django"),
    ("python", "from alembic import command\ncommand.upgrade(cfg, 'head')\n", 2, "alembic"),
    ("python", "from alembic.command import upgrade as alembic_upgrade\n\ndef _upgrade():\n    alembic_upgrade(cfg, 'head')\n", 4, "alembic"),
    ("ruby", "Rake::Task['db:migrate'].invoke\n", 1, "rails"),
    ("ruby", "ActiveRecord::Tasks::DatabaseTasks.migrate\n", 1, "rails"),
    ("go", 'import "github.com/golang-migrate/migrate/v4"\nfunc run() {\n\tm.Up()\n}\n', 3, "golang-migrate"),
    ("go", 'import "github.com/pressly/goose/v3"\nfunc run() {\n\tgoose.Up(db, "migrations")\n}\n', 3, "goose"),
]


@pytest.mark.parametrize(("language", "text", "line", "tool"), APIS, ids=[f"{a[3]}-{i}" for i, a in enumerate(APIS)])
def test_migration_api_is_found(language: str, text: str, line: int, tool: str) -> None:
    facts = read_program(text, "js" if language == "ts" else language)
    assert [(found_line, tool.split()[0] in label) for found_line, label, _ in facts.apis] == [(line, True)]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("js", "// await migrations.up();\n/* db.migrate.latest() */\n"),
        ("js", 'console.log("run migrations.up() by hand");\n'),
        ("js", 'import { migrate } from "drizzle-orm/node-postgres/migrator";\nexport { migrate };\n'),
        ("js", "function migrate(db) { return db; }\nmigrate(db);\n"),  # not drizzle's
        ("python", "# call_command('migrate')\nprint('call_command(\"migrate\")')\n"),
        ("python", "def upgrade():\n    op.add_column('t', sa.Column('c'))\n"),  # an Alembic revision, not the API
        ("go", "func run() {\n\tserver.Up()\n}\n"),  # .Up() without golang-migrate imported
    ],
)
def test_not_a_migration_api(language: str, text: str) -> None:
    assert read_program(text, language).apis == []


@pytest.mark.parametrize(
    ("language", "text", "command"),
    [
        ("js", "execSync('npx prisma migrate deploy', { stdio: 'inherit' });\n", "npx prisma migrate deploy"),
        ("js", 'await execa("prisma", ["migrate", "deploy"]);\n', "prisma migrate deploy"),
        ("js", 'spawnSync("prisma", ["migrate", sub, "--schema", schema]);\n', f"prisma migrate {PLACEHOLDER} --schema {PLACEHOLDER}"),
        ("js", "await $`npx drizzle-kit push`;\n", "npx drizzle-kit push"),
        ("python", "subprocess.run(['alembic', 'upgrade', 'head'], check=True)\n", "alembic upgrade head"),
        ("python", "os.system('python manage.py migrate')\n", "python manage.py migrate"),
        ("ruby", "system('bin/rails db:migrate')\n", "bin/rails db:migrate"),
        ("go", 'exec.Command("migrate", "-path", dir, "up")\n', f"migrate -path {PLACEHOLDER} up"),
        # The program chosen at run time, under another name (formbricks' migration-runner.ts).
        ("js", 'const execFileAsync = promisify(execFile);\nawait execFileAsync(prismaBin, ["migrate", "deploy", "--config", CONFIG], {});\n', f"{PLACEHOLDER} migrate deploy --config {PLACEHOLDER}"),
        ("js", 'import { spawnSync as run } from "node:child_process";\nrun(path.join(root, "node_modules", ".bin", "knex"), ["migrate:latest"]);\n', f"{PLACEHOLDER} migrate:latest"),
        ("js", 'const { execFile: ef } = require("child_process");\nef(bin, ["db", "push"]);\n', f"{PLACEHOLDER} db push"),
    ],
)
def test_spawned_command_is_read(language: str, text: str, command: str) -> None:
    assert [found for _, found in read_program(text, language).commands] == [command]


def test_files_a_program_runs_or_imports() -> None:
    text = (
        'import "./tracer";\nimport { start } from "../lib/start";\nconst x = require("./x.js");\n'
        'fork(path.join(__dirname, "..", "scripts", "check.js"));\nimport express from "express";\n'
    )
    assert [spec for _, spec in read_program(text, "js").files] == ["./tracer", "../lib/start", "./x.js", "./../scripts/check.js"]


def test_built_output_maps_to_source_candidates() -> None:
    candidates = [p.as_posix() for p in source_candidates(Path("app/dist/migration.mjs"))]
    assert "app/migration.ts" in candidates and "app/src/migration.ts" in candidates
    assert "server/index.ts" in [p.as_posix() for p in source_candidates(Path("build/server/index.js"))]


def test_a_program_and_its_arguments_both_chosen_at_run_time_are_not_read() -> None:
    assert read_program("spawn(command, args);\nexecSync(cmd);\nexecFile(bin, argv, cb);\n", "js").commands == []


def test_a_function_that_hands_its_parameters_to_spawn_runs_what_each_call_gives_it() -> None:
    text = (
        'function run(command, args, prefix) {\n  const child = spawn(command, args);\n  return child;\n}\n'
        'const sh = (cmd: string): void => {\n  execSync(cmd, { stdio: "inherit" });\n};\n'
        "const prisma = async (argv) => { await execFileAsync(prismaBin, argv); };\n"
        'run("caddy", ["run", "--config", `/etc/${name}`], "Caddy");\n'
        'run("webapp-server", [], "Webapp");\n'
        'sh("npx prisma migrate deploy");\n'
        "sh(command);\n"
        'await prisma(["db", "push"]);\n'
    )
    text = "const execFileAsync = promisify(execFile);\n" + text
    assert read_program(text, "js").commands == [
        (10, f"caddy run --config /etc/{PLACEHOLDER}"),
        (11, "webapp-server"),
        (12, "npx prisma migrate deploy"),
        (14, f"{PLACEHOLDER} db push"),
    ]


def test_python_imports_are_listed_as_modules() -> None:
    text = (
        "import os, sys\nfrom mealie.app import settings\nfrom . import views, models as m\n"
        "from .db.init_db import (main,\n   other)\ndef f():\n    import mealie.db.init_db as init_db\n"
        "# import commented.out\ntext = 'from quoted import nothing'\n"
    )
    assert read_program(text, "python").modules == [
        (1, "os"), (1, "sys"),
        (2, "mealie.app"), (2, "mealie.app.settings"),
        (3, "."), (3, ".views"), (3, ".models"),
        (4, ".db.init_db"), (4, ".db.init_db.main"), (4, ".db.init_db.other"),
        (7, "mealie.db.init_db"),
    ]


@pytest.mark.parametrize(
    ("arguments", "label", "unresolved"),
    [
        ('["migrate", "deploy", "--schema", schema]', "prisma migrate deploy|dev|reset", False),
        ('["db", "push"]', "prisma db push", False),
        ('["migrate:latest"]', "knex migrate:latest|up|down|rollback", False),
        ('["db:migrate"]', "rails db:migrate|prepare|setup|reset|schema:load", False),
        ('["migration:run", "-d", "src/data-source.ts"]', "typeorm migration:run|revert, schema:sync", False),
        ('["ecto.migrate"]', "mix ecto.migrate|setup|reset", False),
        ('["migrate", "apply", "--url", url]', "atlas migrate|schema apply", False),
        ('["migrate", "run"]', "sqlx migrate run", False),
        # One common word: some tool would migrate with it, none surely does.
        ('["migrate"]', None, True),
        ('["up", "-d"]', None, True),
        # Known tools' read-only subcommands, and other programs' arguments.
        ('["migrate", "status"]', None, False),
        ('["generate"]', None, False),
        ('["compose", "up", "-d"]', None, False),
        ('["rev-parse", "HEAD"]', None, False),
    ],
)
def test_a_program_chosen_at_run_time_is_judged_by_its_arguments(tmp_path: Path, arguments: str, label: str | None, unresolved: bool) -> None:
    (tmp_path / "Procfile").write_text("release: node release.js\n")
    (tmp_path / "release.js").write_text(f'const {{ execFileSync }} = require("child_process");\nexecFileSync(process.env.BIN, {arguments});\n')
    report = check_repository(Scanner(tmp_path, COMMON_FORBIDDEN))
    assert [finding.label for finding in report.findings] == ([label + JUDGED_BY_ARGUMENTS] if label else [])
    assert bool(report.unresolved) == unresolved
