"""One command at a time: wrappers, shell syntax and the forbidden-command data.

Each command is checked as a host entry point in an empty repository, so
nothing is followed: what is found is found in the command itself.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from migpipe.buildguard import Scanner, Step
from migpipe.buildguard.shell import split_commands
from migpipe.profiles.tools.known import JUDGED_BY_NAME as BY_NAME
from migpipe.profiles.tools.registry import COMMON_FORBIDDEN

MIGRATES = {
    "npx --yes prisma migrate deploy": "prisma migrate deploy|dev|reset",
    "pnpm exec prisma migrate reset --force": "prisma migrate deploy|dev|reset",
    "pnpm --filter @acme/db exec prisma db push": "prisma db push",
    "yarn prisma db push": "prisma db push",
    "npm exec -- prisma migrate deploy": "prisma migrate deploy|dev|reset",
    "bunx prisma migrate deploy": "prisma migrate deploy|dev|reset",
    "dotenv -e .env -e .env.local -- prisma migrate deploy": "prisma migrate deploy|dev|reset",
    "cross-env NODE_ENV=production DATABASE_URL=x prisma migrate deploy": "prisma migrate deploy|dev|reset",
    "A=1 B=2 npx prisma migrate deploy 2>&1 | tee migrate.log": "prisma migrate deploy|dev|reset",
    "infisical run -- prisma migrate deploy": "prisma migrate deploy|dev|reset",
    "wait-for-it db:5432 -- npx prisma migrate deploy": "prisma migrate deploy|dev|reset",
    "(cd api && npx prisma migrate deploy)": "prisma migrate deploy|dev|reset",
    "if [ -n \"$DATABASE_URL\" ]; then npx prisma migrate deploy; fi": "prisma migrate deploy|dev|reset",
    # A function defined in the script runs its arguments where it is called.
    'run() { "$@"; }; run npx prisma migrate deploy': "prisma migrate deploy|dev|reset",
    'retry() { n="$1"; shift; timeout 60 "$@"; }; retry 3 npx prisma migrate deploy': "prisma migrate deploy|dev|reset",
    'function with_env { env "$1" "${@:2}"; }\nwith_env A=1 npx prisma db push': "prisma db push",
    'with_schema() { npx prisma migrate "$1" --schema "$2"; }; with_schema deploy db.prisma': "prisma migrate deploy|dev|reset",
    # One never called here (a library another script sources) is read where it is written.
    "migrate_db() {\n  npx prisma migrate deploy\n}": "prisma migrate deploy|dev|reset",
    "npx prisma migrate deploy \\\n  --schema prisma/schema.prisma": "prisma migrate deploy|dev|reset",
    "sh -ec 'prisma migrate deploy'": "prisma migrate deploy|dev|reset",
    'concurrently -n db,web "npx prisma migrate deploy" "next start"': "prisma migrate deploy|dev|reset",
    "env -i PATH=/bin alembic -c alembic.ini upgrade head": "alembic upgrade|downgrade",
    "poetry run alembic upgrade head": "alembic upgrade|downgrade",
    'bash -c "cd api && alembic upgrade head"': "alembic upgrade|downgrade",
    "flask --app app db upgrade": "alembic via flask db upgrade|downgrade",
    "gosu app python manage.py migrate": "django manage.py migrate",
    "su app -c 'python manage.py migrate --noinput'": "django manage.py migrate",
    "uv run python manage.py migrate": "django manage.py migrate",
    "django-admin migrate": "django manage.py migrate",
    "bundle exec rails db:prepare": "rails db:migrate|prepare|setup|reset|schema:load",
    "bin/rails db:schema:load": "rails db:migrate|prepare|setup|reset|schema:load",
    "rake db:migrate": "rails db:migrate|prepare|setup|reset|schema:load",
    "php artisan migrate --force": "laravel artisan migrate",
    "timeout 60 npx knex migrate:latest": "knex migrate:latest|up|down|rollback",
    "exec npx drizzle-kit push": "drizzle-kit migrate|push",
    "drizzle-kit migrate --config drizzle.config.ts": "drizzle-kit migrate|push",
    "npx sequelize-cli db:migrate": "sequelize db:migrate",
    "typeorm-ts-node-commonjs migration:run -d src/data-source.ts": "typeorm migration:run|revert, schema:sync",
    "ts-node ./node_modules/typeorm/cli.js migration:run": "typeorm migration:run|revert, schema:sync",
    "node-pg-migrate -m migrations up": "node-pg-migrate up|down|redo",
    "dbmate --url $DATABASE_URL up": "dbmate up|migrate|down|rollback",
    "migrate -path db/migrations -database $DATABASE_URL up": "golang-migrate up|down|goto",
    "goose -dir db postgres $DATABASE_URL up": "goose up|down|redo|reset",
    "flyway -url=jdbc:postgresql://db/app migrate": "flyway migrate|clean",
    "mix ecto.migrate": "mix ecto.migrate|setup|reset",
    'bin/app eval "App.Release.migrate"': "phoenix release migrate",
    "bash scripts/migrate-with-guards.sh": "migpipe migrate-with-guards.sh",
    # Version-pinned runners run the same tool.
    "npx prisma@6.19.0 migrate deploy": "prisma migrate deploy|dev|reset",
    "pnpm dlx prisma@6.19.0 migrate deploy": "prisma migrate deploy|dev|reset",
    "yarn dlx prisma@6 migrate deploy": "prisma migrate deploy|dev|reset",
    "bunx prisma@6 db push": "prisma db push",
    "npx -y drizzle-kit@0.31.4 migrate": "drizzle-kit migrate|push",
    # A default in ${VAR:-default} is what runs unless the variable is set.
    "goose ${GOOSE_COMMAND:-up}": "goose up|down|redo|reset",
    # Scripts the guard cannot read (no package.json here, another workspace
    # package) are judged by their names.
    "npm run db:migrate": "a migration" + BY_NAME,
    "npm run db:migrate -w @acme/db": "a migration" + BY_NAME,
    "yarn typeorm:migration:run": "typeorm migration:run" + BY_NAME,
    "npm run drizzle:push": "drizzle-kit migrate|push" + BY_NAME,
}

CLEAN = [
    "echo prisma migrate deploy",
    "printf 'prisma migrate deploy\\n'",
    "prisma generate",
    "prisma migrate status",
    "prisma migrate diff --from-migrations prisma/migrations --to-schema-datamodel x --exit-code",
    "prisma migrate resolve --applied 20240101_init",
    "python manage.py makemigrations --check",
    "python manage.py migrate --check",
    "python manage.py showmigrations",
    "rails db:migrate:status",
    "rails db:create",
    "knex migrate:make add_users",
    "drizzle-kit generate",
    "sequelize db:migrate:status",
    "typeorm migration:generate src/migrations/x",
    "node scripts/migrate.js up",
    "npm run db:seed",
    "npm run migrate:status",
    "git commit -m 'run prisma migrate deploy later'",
    "grep -r 'alembic upgrade' docs",
    "# npx prisma migrate deploy",
    "npm ci # then prisma migrate deploy, by hand",
    "cat <<EOF\nnpx prisma migrate deploy\nEOF\nnext build",
    "mkdir -p migrate && cd migrate",
    "alembic upgrade head --sql",
    "alembic upgrade --sql base:head > schema.sql",
    "flask db upgrade --sql",
    "python manage.py sqlmigrate app 0001",
    "drizzle-kit check",
    "knex migrate:status",
    "npx prisma@6.19.0 migrate status",
    "npx prisma@6.19.0 generate",
    # Functions that print or test their arguments, or run a fixed command.
    'log() { echo "[start] $*"; }; log npx prisma migrate deploy',
    'note() { printf "%s\\n" "$1"; }; note "npx prisma migrate deploy"',
    'status() { npx prisma migrate status "$@"; }; status --schema db.prisma',
    'with_schema() { npx prisma migrate "$1" --schema "$2"; }; with_schema status db.prisma',
]


def _labels(command: str, root: Path) -> list[str]:
    scanner = Scanner(root, COMMON_FORBIDDEN)
    scanner.check_command(command, Step("entry", 1), root)
    return [finding.label for finding in scanner.findings]


@pytest.mark.parametrize(("command", "label"), sorted(MIGRATES.items()))
def test_migration_is_found(tmp_path: Path, command: str, label: str) -> None:
    assert _labels(command, tmp_path) == [label]


@pytest.mark.parametrize("command", CLEAN)
def test_not_a_migration(tmp_path: Path, command: str) -> None:
    assert _labels(command, tmp_path) == []


def test_lines_of_commands_skip_comments_and_heredocs() -> None:
    text = (
        "#!/bin/sh\n"
        "set -e  # strict\n"
        "cat <<'EOF' > notes.txt\n"
        "prisma migrate deploy\n"
        "EOF\n"
        "npx prisma \\\n"
        "  migrate deploy && echo \"done; really\" || exit 1\n"
    )
    commands = [(command.line, [word.text for word in command.words]) for command in split_commands(text)]
    assert commands == [
        (2, ["set", "-e"]),
        (3, ["cat", "<<EOF", ">", "notes.txt"]),
        (6, ["npx", "prisma", "migrate", "deploy"]),
        (7, ["echo", "done; really"]),
        (7, ["exit", "1"]),
    ]


def test_command_substitution_keeps_nested_quotes_in_one_word() -> None:
    (command,) = split_commands('mkdir -p "$(dirname "$target")"')
    assert [word.text for word in command.words] == ["mkdir", "-p", '$(dirname "$target")']


def test_function_bodies_are_marked_with_their_function() -> None:
    text = (
        "a() {\n  one\n}\n"
        "function b {\n  two; { three; }\n}\n"
        "function c() { four; }\n"
        "{ five; } > log\n"
        "a; b; c\n"
    )
    commands = [(command.line, command.words[0].text, command.function) for command in split_commands(text)]
    assert commands == [
        (2, "one", "a"),
        (5, "two", "b"),
        (5, "three", "b"),
        (7, "four", "c"),
        (8, "five", None),
        (8, ">", None),
        (9, "a", None),
        (9, "b", None),
        (9, "c", None),
    ]


def test_a_subshell_or_an_array_is_not_a_function() -> None:
    commands = split_commands("(cd api && make)\nitems=(a b)\nf () { x; }")
    assert [(command.words[0].text, command.function) for command in commands] == [
        ("cd", None), ("make", None), ("items=(a b)", None), ("x", "f"),
    ]


def test_a_function_run_with_arguments_not_known_statically_is_not_followed(tmp_path: Path) -> None:
    scanner = Scanner(tmp_path, COMMON_FORBIDDEN)
    text = 'run_after() { shift "$skip"; "$@"; }\nrun_after 2 x npx prisma migrate deploy\n'
    scanner.check_script(text, Step("start.sh", 1), tmp_path, spans_lines=True)
    assert scanner.findings == []
    assert [(item.reference, item.reason, item.chain) for item in scanner.unresolved] == [
        ("$@", "runs the arguments of run_after(), which cannot be known statically here", ("start.sh:2", "start.sh:1 in run_after()")),
    ]


def test_a_function_calling_itself_is_read_once(tmp_path: Path) -> None:
    scanner = Scanner(tmp_path, COMMON_FORBIDDEN)
    scanner.check_script('again() { shift; again "$@"; }\nagain a b c npx prisma migrate deploy\n', Step("start.sh", 1), tmp_path, spans_lines=True)
    assert (scanner.findings, [item.reason for item in scanner.unresolved]) == ([], ["reaches itself again (a cycle): not followed further"])


def test_python_standard_library_modules_are_not_unresolved(tmp_path: Path) -> None:
    # dub's playwright workflow: `python -m venv /tmp/tinybird-cli` was "module not found in the repository".
    scanner = Scanner(tmp_path, COMMON_FORBIDDEN)
    scanner.check_command("python3 -m venv /tmp/cli && python -m http.server 8000 && python -m acme.release", Step("entry", 1), tmp_path)
    assert [item.reference for item in scanner.unresolved] == ["python -m acme.release"]


def test_negation_glued_to_a_redirection_is_not_a_program() -> None:
    # healthchecks' compose: `while !</dev/tcp/db/5432; do sleep 1; done` was "script not found".
    (command, sleep, _) = split_commands("while !</dev/tcp/db/5432; do sleep 1; done; uwsgi app.ini")
    assert ([w.text for w in command.words], [w.text for w in sleep.words]) == (["</dev/tcp/db/5432"], ["sleep", "1"])


def test_a_program_installed_in_the_image_is_not_a_missing_script(tmp_path: Path) -> None:
    # wagtail/bakerydemo's docker-entrypoint.sh: `/venv/bin/python manage.py load_initial_data`.
    scanner = Scanner(tmp_path, COMMON_FORBIDDEN)
    scanner.check_command("/venv/bin/python manage.py load_initial_data && /app/bin/start.sh", Step("entry", 1), tmp_path)
    assert [item.reference for item in scanner.unresolved] == ["/app/bin/start.sh"]


def test_an_array_assignment_is_one_word() -> None:
    # paperless-ngx's s6 scripts: `declare -r main_dirs=(\n "${data_dir}"\n)` made "${data_dir}" a command.
    commands = split_commands('declare -r dirs=(\n\t"${data_dir}"\n\t"/tmp/x"\n)\nto_install+=("$pkg")\necho ok')
    assert [[word.text for word in command.words] for command in commands] == [
        ["declare", "-r", 'dirs=(\n\t"${data_dir}"\n\t"/tmp/x"\n)'],
        ['to_install+=("$pkg")'],
        ["echo", "ok"],
    ]


def test_a_wrapper_named_by_its_path_is_unwrapped(tmp_path: Path) -> None:
    scanner = Scanner(tmp_path, COMMON_FORBIDDEN)
    scanner.check_command("/command/with-contenv s6-setlock -n /data/lock python3 manage.py migrate", Step("run", 1), tmp_path)
    assert ([finding.label for finding in scanner.findings], scanner.unresolved) == (["django manage.py migrate"], [])


@pytest.mark.parametrize(
    "script",
    [
        'migrate_db() { npx prisma migrate deploy; }\nretry 3 migrate_db\n',  # a wrapper the guard does not know
        'cleanup() { npx prisma migrate reset --force; }\ntrap cleanup EXIT\nnode server.js\n',
    ],
)
def test_a_function_named_but_not_followed_into_is_read_where_written(tmp_path: Path, script: str) -> None:
    scanner = Scanner(tmp_path, COMMON_FORBIDDEN)
    scanner.check_script(script, Step("start.sh", 1), tmp_path, spans_lines=True)
    assert [finding.chain for finding in scanner.findings] == [("start.sh:1",)]
