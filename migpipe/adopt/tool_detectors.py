"""One detector per migration tool: where it is, what database it targets, what URL it reads.

``TOOL_DETECTORS`` maps a tool name to its detector. Tools migpipe can
generate for are the names of the tool-profile registry; the others here
(TypeORM, Sequelize, MikroORM, Rails, goose) are detected so that init can say
what it found and that it cannot generate for it, instead of guessing.
"""
from __future__ import annotations

import configparser
import re
from collections.abc import Callable
from pathlib import PurePosixPath

from migpipe.adopt.findings import POSTGRESQL, ToolFinding, UrlVariable
from migpipe.adopt.repo import Repo, join, line_of, parent, relative_to

Detector = Callable[[Repo], list[ToolFinding]]

# Connection-string schemes and driver names -> engine.
_ENGINE_WORDS: tuple[tuple[str, str], ...] = (
    (r"postgres(ql)?|pg|pg-native|psycopg2?|asyncpg|pgx|cockroach(db)?", POSTGRESQL),
    (r"mysql2?|mariadb|pymysql|mysqlclient", "mysql"),
    (r"sqlite3?|better-sqlite3|libsql|d1", "sqlite"),
    (r"sqlserver|mssql|tedious", "sqlserver"),
    (r"mongodb", "mongodb"),
    (r"clickhouse", "clickhouse"),
)
_PG_PYTHON_DRIVERS = ("psycopg", "psycopg2", "psycopg2-binary", "psycopg-binary", "asyncpg", "pg8000", "psycopg-c")
_ENV_READ_RE = re.compile(
    r"""process\.env\.([A-Za-z_][A-Za-z0-9_]*)|process\.env\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]|\benv\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\)"""
    r"""|os\.environ(?:\.get)?[\[(]\s*["']([A-Za-z_][A-Za-z0-9_]*)["']|os\.getenv\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"""
)


def engine_of(word: str) -> str | None:
    """``postgresql`` for "postgres", "pg", "postgresql+asyncpg", …; None when unknown."""
    head = re.split(r"[+:]", word.strip().lower(), maxsplit=1)[0]
    for pattern, engine in _ENGINE_WORDS:
        if re.fullmatch(pattern, head):
            return engine
    return None


def _env_names(text: str) -> list[tuple[str, int]]:
    return [(next(g for g in m.groups() if g), m.start()) for m in _ENV_READ_RE.finditer(text)]


def _version_major(spec: str) -> int | None:
    match = re.match(r"\s*(?:npm:[^@]+@)?[\^~>=v ]*(\d+)(?:\.|$|\s|x)", spec)
    return int(match.group(1)) if match else None


def _strip_dot(path: str) -> str:
    path = path.strip()
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/") or "."


def _dependency_anywhere(repo: Repo, directory: str, *names: str) -> tuple[str, str, str] | None:
    """The dependency in ``directory``'s package, else the root's."""
    for candidate in (repo.package(directory), repo.root_package):
        if candidate is not None:
            found = candidate.dependency(*names)
            if found:
                return found
    return None


def _workspace_note(repo: Repo, finding: ToolFinding) -> None:
    if finding.directory == ".":
        finding.directory_source = "the repository root"
        return
    declared = repo.workspace_source(finding.directory)
    finding.directory_source = (
        f"{finding.directory} is a workspace package ({declared})" if declared else f"{finding.directory} holds the tool's config"
    )


# --------------------------------------------------------------------------
# Prisma


def _prisma_datasource(repo: Repo, schema_files: list[str], finding: ToolFinding) -> None:
    for path in schema_files:
        text = repo.text(path) or ""
        block = re.search(r"datasource\s+\w+\s*\{(.*?)\}", text, re.DOTALL)
        if not block:
            continue
        body = block.group(1)
        provider = re.search(r"""provider\s*=\s*["']([^"']+)["']""", body)
        if provider:
            finding.engine = engine_of(provider.group(1)) or provider.group(1)
            where = f"{path}:{line_of(text, block.start(1) + provider.start())}"
            finding.engine_source = f'{where} provider = "{provider.group(1)}"'
        for role in ("url", "directUrl", "shadowDatabaseUrl"):
            match = re.search(rf"""\b{role}\s*=\s*env\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\)""", body)
            if match:
                line = line_of(text, block.start(1) + match.start())
                finding.url_variables.append(UrlVariable(match.group(1), role, f"{path}:{line}"))
        return


def _prisma_config_urls(repo: Repo, config: str, finding: ToolFinding) -> None:
    text = repo.text(config) or ""
    datasource = re.search(r"datasource\s*:\s*\{", text)
    if not datasource:
        return
    # The datasource's url (maybe a variable defined above it): every env read in the file.
    for role, pattern in (("url", r"\burl\s*:"), ("shadowDatabaseUrl", r"\bshadowDatabaseUrl\s*:")):
        if not re.search(pattern, text[datasource.start() :]):
            continue
        if role == "shadowDatabaseUrl":
            continue
        names = _env_names(text)
        for name, index in names:
            if any(v.name == name for v in finding.url_variables):
                continue
            finding.url_variables.append(UrlVariable(name, "url" if len(names) == 1 else "url (first set of)", f"{config}:{line_of(text, index)}"))


def detect_prisma(repo: Repo) -> list[ToolFinding]:
    # Anchored on schemas: a config or dependency without a schema is not a Prisma project.
    anchors: dict[str, list[str]] = {}
    for path in repo.named("*.prisma"):
        folder = parent(path)
        if PurePosixPath(path).name == "schema.prisma" or PurePosixPath(folder).name == "schema":
            package = repo.owning_package(path)
            directory = package.directory if package else parent(folder if PurePosixPath(folder).name == "schema" else path)
            anchors.setdefault(directory, []).append(path)
    for package in repo.packages:
        # A dependency without a schema: the schema is missing, which generate will say.
        if package.directory not in anchors and package.dependency("prisma") and not any(d.startswith(package.directory + "/") or package.directory == "." for d in anchors):
            anchors[package.directory] = []
    findings = []
    for directory, schemas in sorted(anchors.items()):
        finding = ToolFinding("prisma", True, directory, "")
        config = join(directory, "prisma.config.ts")
        config_text = repo.text(config) if repo.exists(config) else None
        package = repo.package(directory)
        schema: str | None = None
        if config_text:
            match = re.search(r"""\bschema\s*:\s*["'`]([^"'`]+)["'`]""", config_text)
            if match:
                schema, source = _strip_dot(match.group(1)), f"{config} schema"
        if schema is None and package and isinstance(package.data.get("prisma"), dict) and isinstance(package.data["prisma"].get("schema"), str):
            schema, source = _strip_dot(package.data["prisma"]["schema"]), f"{package.path} prisma.schema"
        if schema is None:
            folders = sorted({parent(s) for s in schemas if PurePosixPath(parent(s)).name == "schema"})
            plain = sorted((s for s in schemas if PurePosixPath(s).name == "schema.prisma" and PurePosixPath(parent(s)).name != "schema"), key=lambda s: (s.count("/"), s))
            if plain:
                schema, source = relative_to(plain[0], directory), f"{plain[0]} exists"
            elif folders:
                schema, source = relative_to(folders[0], directory), f"{folders[0]}/*.prisma (a multi-file schema)"
            else:
                schema, source = "prisma/schema.prisma", "Prisma's default (no schema found)"
        finding.set("schema_path", schema, source)
        schema_full = join(directory, schema)
        schema_files = [s for s in schemas if s == schema_full or parent(s) == schema_full] or schemas
        finding.evidence = f"{schema_full}"
        dependency = _dependency_anywhere(repo, directory, "prisma", "@prisma/client")
        if dependency:
            finding.evidence += f"; {dependency[2]}"
            finding.version = _version_major(dependency[1])
            if finding.version is not None:
                finding.set("version", finding.version, dependency[2])
        migrations: str | None = None
        if config_text:
            match = re.search(r"""\bmigrations\s*:\s*\{[^}]*\bpath\s*:\s*["'`]([^"'`]+)["'`]""", config_text, re.DOTALL)
            if match:
                migrations, source = _strip_dot(match.group(1)), f"{config} migrations.path"
            finding.set("config_path", "prisma.config.ts", f"{config} exists")
            _prisma_config_urls(repo, config, finding)
        if migrations is None:
            base = parent(schema)  # a multi-file schema folder too: migrations sit beside it
            migrations = join(base, "migrations") if base != "." else "migrations"
            source = f"{join(directory, migrations)}/ beside the schema"
        finding.set("migrations_dir", migrations, source)
        _prisma_datasource(repo, schema_files, finding)
        _workspace_note(repo, finding)
        findings.append(finding)
    return findings


# --------------------------------------------------------------------------
# Alembic


def detect_alembic(repo: Repo) -> list[ToolFinding]:
    findings = []
    for path in repo.named("alembic.ini"):
        directory = parent(path)
        finding = ToolFinding("alembic", True, directory, path)
        finding.set("config_path", "alembic.ini", f"{path} exists")
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(repo.text(path) or "")
        except configparser.Error:
            pass
        script = parser.get("alembic", "script_location", fallback="alembic").split("#")[0].strip()
        script = _strip_dot(script.replace("%(here)s/", ""))
        finding.set("migrations_dir", f"{script}/versions", f"{path} script_location = {script}")
        url = parser.get("alembic", "sqlalchemy.url", fallback="").strip()
        env_py = join(directory, f"{script}/env.py")
        env_text = repo.text(env_py) or ""
        engine = engine_of(url.split("://")[0]) if "://" in url else None
        if engine:
            finding.engine, finding.engine_source = engine, f"{path} sqlalchemy.url"
        else:
            requirements = repo.python_requirements(directory) | repo.python_requirements(".")
            driver = next((name for name in _PG_PYTHON_DRIVERS if name in requirements), None)
            mention = re.search(r"postgres(ql)?(\+\w+)?://|get_postgres_dsn|asyncpg|psycopg", env_text)
            if driver:
                finding.engine, finding.engine_source = POSTGRESQL, f"{requirements[driver]} requires {driver}"
            elif mention:
                finding.engine, finding.engine_source = POSTGRESQL, f"{env_py}:{line_of(env_text, mention.start())} {mention.group()}"
        for name, index in _env_names(env_text):
            finding.url_variables.append(UrlVariable(name, "url", f"{env_py}:{line_of(env_text, index)}"))
        _workspace_note(repo, finding)
        findings.append(finding)
    return findings


# --------------------------------------------------------------------------
# Django


def _django_settings(repo: Repo, directory: str, manage_text: str) -> tuple[str | None, list[str]]:
    match = re.search(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""", manage_text)
    if not match:
        return None, []
    module = match.group(1)
    base = join(directory, module.replace(".", "/"))
    files = [f"{base}.py"] if repo.exists(f"{base}.py") else [p for p in repo.under(base) if p.endswith(".py")]
    return module, files


# Django's DATABASES keys -> the part of a URL each holds.
_DJANGO_PARTS = {"NAME": "database", "USER": "user", "PASSWORD": "password", "HOST": "host", "PORT": "port"}


def detect_django(repo: Repo) -> list[ToolFinding]:
    findings = []
    for path in repo.named("manage.py"):
        text = repo.text(path) or ""
        if "django" not in text.lower():
            continue
        directory = parent(path)
        finding = ToolFinding("django", True, directory, path)
        finding.set("manage_py", "manage.py", f"{path} exists")
        module, settings = _django_settings(repo, directory, text)
        if module:
            finding.notes.append(f"settings module {module} ({path} DJANGO_SETTINGS_MODULE)")
        requirements = repo.python_requirements(directory) | repo.python_requirements(".")
        driver = next((name for name in _PG_PYTHON_DRIVERS if name in requirements), None)
        engines: list[tuple[str, str]] = []
        url_driven = False
        for settings_path in settings:
            settings_text = repo.text(settings_path) or ""
            for match in re.finditer(r"""["']ENGINE["']\s*:\s*["']django\.db\.backends\.(\w+)["']""", settings_text):
                engines.append((match.group(1), f"{settings_path}:{line_of(settings_text, match.start())}"))
            for match in re.finditer(r"dj_database_url\.(?:config|parse)\(([^)]*)", settings_text):
                url_driven = True
                env = re.search(r"""env\s*=\s*["'](\w+)["']""", match.group(1))
                line = line_of(settings_text, match.start())
                finding.url_variables.append(UrlVariable(env.group(1) if env else "DATABASE_URL", "url", f"{settings_path}:{line}"))
            for match in re.finditer(r"DATABASES\s*=", settings_text):
                block = settings_text[match.start() : match.start() + 600]
                for name, index in _env_names(block):
                    # The settings key on the same line says which part it is ('HOST': os.environ["PGHOST"]).
                    line_start = block.rfind("\n", 0, index) + 1
                    key = re.search(r"""["'](NAME|USER|PASSWORD|HOST|PORT)["']\s*:""", block[line_start:index])
                    role = f"part:{_DJANGO_PARTS[key.group(1)]}" if key else "part"
                    finding.url_variables.append(UrlVariable(name, role, f"{settings_path}:{line_of(settings_text, match.start() + index)}"))
        postgres = [source for engine, source in engines if engine.startswith("postgresql")]
        others = [(engine, source) for engine, source in engines if not engine.startswith("postgresql")]
        if postgres:
            finding.engine, finding.engine_source = POSTGRESQL, f"{postgres[0]} ENGINE django.db.backends.postgresql"
        elif url_driven and driver:
            finding.engine, finding.engine_source = POSTGRESQL, f"dj-database-url with {driver} ({requirements[driver]})"
        elif driver and not others:
            finding.engine, finding.engine_source = POSTGRESQL, f"{requirements[driver]} requires {driver}"
        elif others:
            engine, source = others[0]
            finding.engine = engine_of(engine) or engine
            commented = repo.commented_requirement(directory, _PG_PYTHON_DRIVERS)
            finding.engine_source = f"{source} ENGINE django.db.backends.{engine}" + (
                "; dj-database-url reads a URL, but no PostgreSQL driver is installed"
                + (f" ({commented} is commented out)" if commented else "")
                if url_driven
                else ""
            )
        _workspace_note(repo, finding)
        findings.append(finding)
    return findings


# --------------------------------------------------------------------------
# Node tools with a config file


def detect_drizzle(repo: Repo) -> list[ToolFinding]:
    findings = []
    for path in repo.named("drizzle.config.ts", "drizzle.config.js", "drizzle.config.mjs", "drizzle.config.cjs", "drizzle.config.json"):
        package = repo.owning_package(path)
        directory = package.directory if package else parent(path)
        text = repo.text(path) or ""
        finding = ToolFinding("drizzle", True, directory, path)
        finding.set("config_path", relative_to(path, directory), f"{path} exists")
        out = re.search(r"""\bout\s*:\s*["'`]([^"'`]+)["'`]""", text)
        if out:
            finding.set("migrations_dir", _strip_dot(out.group(1)), f"{path}:{line_of(text, out.start())} out")
        dialect = re.search(r"""\b(dialect|driver)\s*:\s*["'`]([^"'`]+)["'`]""", text)
        if dialect:
            finding.engine = engine_of(dialect.group(2)) or dialect.group(2)
            finding.engine_source = f'{path}:{line_of(text, dialect.start())} {dialect.group(1)}: "{dialect.group(2)}"'
        for name, index in _env_names(text):
            finding.url_variables.append(UrlVariable(name, "url", f"{path}:{line_of(text, index)}"))
        dependency = _dependency_anywhere(repo, directory, "drizzle-kit", "drizzle-orm")
        if dependency:
            finding.evidence += f"; {dependency[2]}"
        _workspace_note(repo, finding)
        findings.append(finding)
    return findings


def detect_knex(repo: Repo) -> list[ToolFinding]:
    findings = []
    for path in repo.named("knexfile.js", "knexfile.ts", "knexfile.cjs", "knexfile.mjs"):
        package = repo.owning_package(path)
        directory = package.directory if package else parent(path)
        text = repo.text(path) or ""
        finding = ToolFinding("knex", True, directory, path)
        finding.set("knexfile", relative_to(path, directory), f"{path} exists")
        client = re.search(r"""\bclient\s*:\s*["'`]([^"'`]+)["'`]""", text)
        if client:
            finding.engine = engine_of(client.group(1)) or client.group(1)
            finding.engine_source = f"{path}:{line_of(text, client.start())} client: {client.group(1)!r}"
        directory_match = re.search(r"""\bdirectory\s*:\s*["'`]([^"'`]+)["'`]""", text)
        if directory_match:
            finding.set("migrations_dir", _strip_dot(directory_match.group(1)), f"{path} migrations.directory")
        table = re.search(r"""\btableName\s*:\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]""", text)
        if table:
            finding.set("migrations_table", table.group(1), f"{path} migrations.tableName")
        for name, index in _env_names(text):
            finding.url_variables.append(UrlVariable(name, "url", f"{path}:{line_of(text, index)}"))
        _workspace_note(repo, finding)
        findings.append(finding)
    return findings


def _script_flag(scripts: dict[str, str], program: str, *flags: str) -> tuple[str, str] | None:
    for name, command in scripts.items():
        if program not in command:
            continue
        for flag in flags:
            match = re.search(rf"(?:^|\s){re.escape(flag)}[= ]\s*[\"']?([^\s\"']+)", command)
            if match:
                return match.group(1), f"scripts.{name}"
    return None


def detect_node_pg_migrate(repo: Repo) -> list[ToolFinding]:
    findings = []
    for package in repo.packages:
        dependency = package.dependency("node-pg-migrate")
        if not dependency:
            continue
        finding = ToolFinding("node-pg-migrate", True, package.directory, dependency[2])
        finding.engine, finding.engine_source = POSTGRESQL, f"{dependency[2]} (node-pg-migrate is PostgreSQL-only)"
        scripts = package.scripts()
        found = _script_flag(scripts, "node-pg-migrate", "--migrations-dir", "-m")
        if found:
            finding.set("migrations_dir", _strip_dot(found[0]), f"{package.path} {found[1]}")
        table = _script_flag(scripts, "node-pg-migrate", "--migrations-table", "-t")
        if table:
            finding.set("migrations_table", table[0], f"{package.path} {table[1]}")
        env = _script_flag(scripts, "node-pg-migrate", "--database-url-var", "-d")
        finding.url_variables.append(UrlVariable(env[0] if env else "DATABASE_URL", "url", f"{package.path} {env[1]}" if env else "node-pg-migrate's default"))
        _workspace_note(repo, finding)
        findings.append(finding)
    return findings


def detect_dbmate(repo: Repo) -> list[ToolFinding]:
    findings = []
    for package in repo.packages:
        dependency = package.dependency("dbmate")
        if not dependency:
            continue
        finding = ToolFinding("dbmate", True, package.directory, dependency[2])
        scripts = package.scripts()
        found = _script_flag(scripts, "dbmate", "--migrations-dir", "-d")
        if found:
            finding.set("migrations_dir", _strip_dot(found[0]), f"{package.path} {found[1]}")
        table = _script_flag(scripts, "dbmate", "--migrations-table")
        if table:
            finding.set("migrations_table", table[0], f"{package.path} {table[1]}")
        env = _script_flag(scripts, "dbmate", "--env", "-e")
        finding.url_variables.append(UrlVariable(env[0] if env else "DATABASE_URL", "url", f"{package.path} {env[1]}" if env else "dbmate's default"))
        for name in (".env.example", ".env.sample", "docker-compose.yml"):
            text = repo.text(join(package.directory, name)) or ""
            match = re.search(r"DATABASE_URL\s*[=:]\s*[\"']?(\w+)://", text)
            if match:
                finding.engine = engine_of(match.group(1))
                finding.engine_source = f"{join(package.directory, name)}:{line_of(text, match.start())} DATABASE_URL {match.group(1)}://"
                break
        _workspace_note(repo, finding)
        findings.append(finding)
    return findings


# --------------------------------------------------------------------------
# golang-migrate

_MIGRATE_CLI_RE = re.compile(r"(?:^|[\s;&|(])migrate\s+(?:-\S+\s+\S+\s+)*?-(?:path|source)[ =]\s*[\"']?(?:file://)?([^\s\"']+)")
_DATABASE_FLAG_RE = re.compile(r"-database[ =]\s*[\"']?([^\s\"']+)")


def detect_golang_migrate(repo: Repo) -> list[ToolFinding]:
    findings: dict[str, ToolFinding] = {}
    candidates = repo.named("Makefile", "*.sh", "Dockerfile", "*.Dockerfile", "Taskfile.yml", "justfile")
    for path in candidates:
        text = repo.text(path) or ""
        for match in _MIGRATE_CLI_RE.finditer(text):
            line_end = text.find("\n", match.start())
            line = text[match.start() : line_end if line_end >= 0 else None]
            directory = parent(path)
            go_mod = next((parent(p) for p in repo.named("go.mod") if directory.startswith(parent(p)) or parent(p) == "."), None)
            home = go_mod if go_mod is not None else directory
            finding = findings.get(home)
            where = f"{path}:{line_of(text, match.start())}"
            if finding is None:
                finding = ToolFinding("golang-migrate", True, home, f"{where} migrate -path {match.group(1)}")
                finding.set("migrations_dir", _strip_dot(match.group(1)), where)
                findings[home] = finding
            database = _DATABASE_FLAG_RE.search(line)
            if database and finding.engine is None:
                value = database.group(1)
                variable = re.fullmatch(r"\$\(?\{?([A-Za-z_]\w*)\)?\}?", value)
                if variable:
                    definition = re.search(rf"^{variable.group(1)}\s*[:?]?=\s*(\w+)://", text, re.MULTILINE)
                    if definition:
                        finding.engine = engine_of(definition.group(1))
                        finding.engine_source = f"{path}:{line_of(text, definition.start())} {variable.group(1)}={definition.group(1)}://…"
                    else:
                        scheme = re.search(r"\b(clickhouse|postgres(?:ql)?|mysql|sqlite3?)://", text)
                        if scheme:
                            finding.engine = engine_of(scheme.group(1))
                            finding.engine_source = f"{path}:{line_of(text, scheme.start())} {scheme.group(1)}://"
                        if "clickhouse" in path.lower() and finding.engine is None:
                            finding.engine, finding.engine_source = "clickhouse", f"{path} (a ClickHouse script)"
                    finding.url_variables.append(UrlVariable(variable.group(1), "url", where))
                elif "://" in value:
                    finding.engine = engine_of(value.split("://")[0])
                    finding.engine_source = f"{where} -database {value.split('://')[0]}://"
    for path in repo.named("go.mod"):
        text = repo.text(path) or ""
        if "github.com/golang-migrate/migrate" not in text:
            continue
        directory = parent(path)
        finding = findings.get(directory)
        if finding is None:
            finding = ToolFinding("golang-migrate", True, directory, f"{path} requires github.com/golang-migrate/migrate")
            findings[directory] = finding
        else:
            finding.evidence += f"; {path} requires github.com/golang-migrate/migrate"
        for go_file in repo.under(directory):
            if go_file.endswith(".go"):
                source = repo.text(go_file) or ""
                driver = re.search(r"golang-migrate/migrate/v4/database/(\w+)", source)
                if driver and finding.engine is None:
                    finding.engine = engine_of(driver.group(1))
                    finding.engine_source = f"{go_file}:{line_of(source, driver.start())} imports database/{driver.group(1)}"
    for finding in findings.values():
        _workspace_note(repo, finding)
    return list(findings.values())


# --------------------------------------------------------------------------
# Tools migpipe cannot generate for: detected so init can say so.


def _unsupported(name: str, label: str) -> Callable[[Repo], list[ToolFinding]]:
    """One finding per tool (a monorepo's 30 packages are one MikroORM), at its first place, the others counted."""

    def detect(repo: Repo) -> list[ToolFinding]:
        signs = _UNSUPPORTED_SIGNS[name](repo)
        if not signs:
            return []
        directory, evidence = signs[0]
        places = sorted({d for d, _ in signs})
        if len(places) > 1:
            evidence += f", and in {len(places) - 1} more place(s): {', '.join(places[1:4])}{' …' if len(places) > 4 else ''}"
        finding = ToolFinding(name, False, directory, evidence)
        finding.notes.append(label)
        texts = signs[0][1]
        engine = re.search(r"\b(clickhouse|mysql|sqlite|mongodb|postgres(?:ql)?)\b", texts, re.IGNORECASE)
        if engine:
            finding.engine, finding.engine_source = engine_of(engine.group(1)), evidence
        return [finding]

    return detect


def _typeorm(repo: Repo) -> list[tuple[str, str]]:
    found = []
    for package in repo.packages:
        for script, command in package.scripts().items():
            if "typeorm" in command and re.search(r"migration:(run|revert)|\bdataSource\b|data-source", command):
                found.append((package.directory, f"{package.path} scripts.{script}: {command.strip()[:90]}"))
                break
    return found


def _sequelize(repo: Repo) -> list[tuple[str, str]]:
    found = [(parent(p), f"{p} exists") for p in repo.named(".sequelizerc")]
    for package in repo.packages:
        dependency = package.dependency("sequelize-cli")
        if dependency:
            found.append((package.directory, dependency[2]))
    return found


def _mikro_orm(repo: Repo) -> list[tuple[str, str]]:
    found = []
    for package in repo.packages:
        dependency = package.dependency("@mikro-orm/migrations", "@mikro-orm/cli")
        if dependency:
            found.append((package.directory, dependency[2]))
    for path in repo.named("mikro-orm.config*"):
        owner = repo.owning_package(path)
        found.append((owner.directory if owner else parent(path), f"{path} exists"))
    return found


def _rails(repo: Repo) -> list[tuple[str, str]]:
    found = []
    for path in repo.named("Gemfile"):
        text = repo.text(path) or ""
        match = re.search(r"""^\s*gem\s+["']rails["']""", text, re.MULTILINE)
        if match:
            found.append((parent(path), f"{path}:{line_of(text, match.start())} gem \"rails\" (ActiveRecord migrations)"))
    return found


def _goose(repo: Repo) -> list[tuple[str, str]]:
    found = []
    for path in repo.named("go.mod", "Dockerfile", "*.Dockerfile", "*.sh", "Makefile"):
        text = repo.text(path) or ""
        match = re.search(r"github\.com/pressly/goose|(?:^|[\s/])goose\s+(?:-\S+\s+)*(up|down|redo|reset)\b", text, re.MULTILINE)
        if match:
            driver = re.search(r"GOOSE_DRIVER\W+(\w+)|goose\s+(clickhouse|postgres|mysql|sqlite3)\b", text)
            engine = f" (driver {driver.group(1) or driver.group(2)})" if driver else (" (clickhouse)" if "clickhouse" in text.lower() else "")
            found.append((parent(path), f"{path}:{line_of(text, match.start())} {match.group().strip()}{engine}"))
    return found


_UNSUPPORTED_SIGNS: dict[str, Callable[[Repo], list[tuple[str, str]]]] = {
    "typeorm": _typeorm,
    "sequelize": _sequelize,
    "mikro-orm": _mikro_orm,
    "rails": _rails,
    "goose": _goose,
}

SUPPORTED_TOOL_DETECTORS: dict[str, Detector] = {
    "prisma": detect_prisma,
    "alembic": detect_alembic,
    "django": detect_django,
    "dbmate": detect_dbmate,
    "node-pg-migrate": detect_node_pg_migrate,
    "drizzle": detect_drizzle,
    "knex": detect_knex,
    "golang-migrate": detect_golang_migrate,
}
UNSUPPORTED_TOOL_DETECTORS: dict[str, Detector] = {
    "typeorm": _unsupported("typeorm", "TypeORM migrations"),
    "sequelize": _unsupported("sequelize", "Sequelize (sequelize-cli) migrations"),
    "mikro-orm": _unsupported("mikro-orm", "MikroORM migrations"),
    "rails": _unsupported("rails", "Rails ActiveRecord migrations"),
    "goose": _unsupported("goose", "goose migrations"),
}
