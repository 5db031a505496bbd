"""The typed model of pipeline.toml.

Every table rejects unknown keys (a misspelled key is an error, never a
silently ignored setting). Strings that end up inside generated YAML or
shell are constrained here, once, so templates can trust them:

* identifiers (job ids, secret names, environments) match GitHub's own rules;
* commands are single-line, printable, and never contain ``${{`` (GitHub
  would evaluate it as an expression inside ``run:``);
* paths are relative, POSIX, and never climb out of the repository.
"""
from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from migpipe.config.paths import DEFAULT_PATHS, DEFAULT_WORKING_DIRECTORY, output_paths
from migpipe.markers import canonical_data, source_digest
from migpipe.policy import DEFAULT_BLOCK, DEFAULT_WARN, KIND_NAMES

# --------------------------------------------------------------------------
# Constrained string types


def _printable_line(value: str, what: str) -> str:
    if value == "":
        raise ValueError(f"{what} must not be empty")
    for char in value:
        if char in "\n\r":
            raise ValueError(f"{what} must be a single line (found a line break)")
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise ValueError(
                f"{what} must not contain control or invisible characters (found U+{ord(char):04X})"
            )
    if value != value.strip():
        raise ValueError(f"{what} must not start or end with white space")
    return value


def _matching(pattern: str | re.Pattern[str], message: str) -> AfterValidator:
    """A check that the whole value matches ``pattern``; ``message`` says what it must be."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


def _check_command(value: str) -> str:
    _printable_line(value, "a command")
    if "${{" in value:
        raise ValueError(
            "a command must not contain '${{' (GitHub Actions would evaluate it as an "
            "expression inside run:); pass values through env instead"
        )
    return value


def _check_text(value: str) -> str:
    return _printable_line(value, "this value")


_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,99}")
_SECRET_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_ENV_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_DURATION_RE = re.compile(r"(0|[1-9][0-9]{0,6})(ms|s|min|h)")
_IMAGE_RE = re.compile(r"[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?(@sha256:[0-9a-f]{64})?")
_PYTHON_VERSION_RE = re.compile(r"3\.[0-9]{1,2}")
_BRANCH_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}")
_VERSION_RE = re.compile(r"[0-9]+(\.[0-9x]+){0,2}|lts/\*|lts/[a-z]+")


def _check_secret(value: str) -> str:
    if not _SECRET_RE.fullmatch(value) or value.upper().startswith("GITHUB_"):
        raise ValueError(
            "must be a GitHub secret name: letters, digits and '_', not starting with a "
            "digit or GITHUB_"
        )
    return value


def _check_image(value: str) -> str:
    if not _IMAGE_RE.fullmatch(value):
        raise ValueError("must be a container image reference such as 'postgres:16@sha256:…'")
    if "@sha256:" not in value:
        # A tag can be moved to another image; a digest cannot.
        raise ValueError(
            "must be pinned by digest, e.g. 'postgres:16-alpine@sha256:<64 hex>' "
            "(`docker buildx imagetools inspect postgres:16-alpine` prints it)"
        )
    return value


def _check_branch(value: str) -> str:
    if not _BRANCH_RE.fullmatch(value) or ".." in value or value.endswith((".", "/", ".lock")):
        raise ValueError("must be a git branch name: letters, digits and '._/-'")
    return value


def _check_relpath(value: str) -> str:
    _printable_line(value, "a path")
    if "\\" in value:
        raise ValueError("must use '/' as separator")
    if value.startswith("/") or re.match(r"[A-Za-z]:", value):
        raise ValueError("must be relative to the repository root, not absolute")
    parts = value.split("/")
    if ".." in parts:
        raise ValueError("must not contain '..' (outputs stay inside the repository)")
    if any(part == "" for part in parts[:-1]) or parts[-1] == "":
        raise ValueError("must not contain empty segments or end with '/'")
    if any(not re.fullmatch(r"[A-Za-z0-9_.@+-]+", part) for part in parts):
        raise ValueError("path segments may contain only letters, digits and '_.@+-'")
    return value


def _check_workdir(value: str) -> str:
    return value if value == "." else _check_relpath(value)


Command = Annotated[str, AfterValidator(_check_command)]
Text = Annotated[str, AfterValidator(_check_text)]
Ident = Annotated[
    str,
    _matching(_IDENT_RE, "must start with a letter or '_' and contain only letters, digits, '-' and '_'"),
]
SecretName = Annotated[str, AfterValidator(_check_secret)]
EnvironmentName = Annotated[
    str,
    _matching(_ENV_RE, "must contain only letters, digits, '.', '-' and '_'"),
]
Duration = Annotated[
    str,
    _matching(_DURATION_RE, "must be a PostgreSQL duration such as '5s', '500ms', '15min' or '1h'"),
]
ImageRef = Annotated[str, AfterValidator(_check_image)]
RelPath = Annotated[str, AfterValidator(_check_relpath)]
WorkDir = Annotated[str, AfterValidator(_check_workdir)]
NodeVersion = Annotated[
    str,
    _matching(_VERSION_RE, "must be a Node.js version such as '20', '22.11' or 'lts/*'"),
]
BranchName = Annotated[str, AfterValidator(_check_branch)]


PythonVersion = Annotated[
    str,
    _matching(_PYTHON_VERSION_RE, "must be a Python version such as '3.12'"),
]


def _empty_means_none(value: object) -> object:
    # TOML has no null: an empty string is how a user leaves an optional command out.
    return None if value == "" else value


OptionalCommand = Annotated[Optional[Command], BeforeValidator(_empty_means_none)]


class Section(BaseModel):
    # Validators are built once, for Pipeline, when a file is first loaded, not once per table at import.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# --------------------------------------------------------------------------
# Tables


class Project(Section):
    """The application whose migrations the pipeline guards."""

    name: Text = Field(description="Project name, used in job names and the runbook.")
    node_version: NodeVersion = Field(
        default="20", description="Node.js version for actions/setup-node."
    )
    package_manager: Literal["npm", "pnpm", "yarn"] = Field(
        default="npm", description="Package manager; decides install and exec commands."
    )
    working_directory: WorkDir = Field(
        default=DEFAULT_WORKING_DIRECTORY,
        description="Directory (relative to the repo root) holding the app (package.json, manage.py, …); '.' for the root.",
    )
    python_version: PythonVersion = Field(
        default="3.12",
        description="Python version for actions/setup-python (Python tools, and squawk in migrate-prod).",
    )


class PrismaTool(Section):
    """Prisma Migrate. Prisma 6 and 7 differ in flags and where the URL lives."""

    name: Literal["prisma"] = Field(description="Migration tool.")
    version: Literal[6, 7] = Field(description="Prisma major version (6 or 7).")
    schema_path: RelPath = Field(
        default="prisma/schema.prisma",
        description="Path of schema.prisma, relative to the working directory.",
    )
    migrations_dir: RelPath = Field(
        default="prisma/migrations",
        description="Directory of migration folders, relative to the working directory.",
    )
    config_path: RelPath = Field(
        default="prisma.config.ts",
        description="Prisma 7 only: prisma.config.ts, which holds the datasource URL.",
    )
    drift_check: bool = Field(
        default=False,
        description="Before applying, compare the migrations with the schema using a shadow database.",
    )


class AlembicTool(Section):
    """Alembic (SQLAlchemy); also Flask-Migrate, which is Alembic behind `flask db`."""

    name: Literal["alembic"] = Field(description="Migration tool.")
    config_path: RelPath = Field(default="alembic.ini", description="alembic.ini, relative to the working directory.")
    migrations_dir: RelPath = Field(
        default="alembic/versions", description="Directory of revision files, relative to the working directory."
    )


class DjangoTool(Section):
    """Django's own migrations (manage.py migrate)."""

    name: Literal["django"] = Field(description="Migration tool.")
    manage_py: RelPath = Field(default="manage.py", description="manage.py, relative to the working directory.")
    settings_module: Text | None = Field(
        default=None, description="DJANGO_SETTINGS_MODULE for CI; omitted means manage.py's own default."
    )
    migrations_dir: WorkDir = Field(
        default=".", description="Where the apps (and their migrations/ folders) live, relative to the working directory."
    )


class DbmateTool(Section):
    """dbmate: plain SQL files with `-- migrate:up` / `-- migrate:down` sections."""

    name: Literal["dbmate"] = Field(description="Migration tool.")
    migrations_dir: RelPath = Field(default="db/migrations", description="dbmate's --migrations-dir.")
    migrations_table: Ident = Field(default="schema_migrations", description="dbmate's --migrations-table.")


class NodePgMigrateTool(Section):
    """node-pg-migrate (SQL or JavaScript migrations)."""

    name: Literal["node-pg-migrate"] = Field(description="Migration tool.")
    migrations_dir: RelPath = Field(default="migrations", description="node-pg-migrate's --migrations-dir.")
    migrations_table: Ident = Field(default="pgmigrations", description="node-pg-migrate's --migrations-table.")


class DrizzleTool(Section):
    """drizzle-kit migrations (SQL files with a meta/_journal.json)."""

    name: Literal["drizzle"] = Field(description="Migration tool.")
    config_path: RelPath = Field(default="drizzle.config.ts", description="drizzle.config.ts.")
    migrations_dir: RelPath = Field(default="drizzle", description="drizzle-kit's `out` directory.")


class KnexTool(Section):
    """Knex migrations (JavaScript)."""

    name: Literal["knex"] = Field(description="Migration tool.")
    knexfile: RelPath = Field(default="knexfile.js", description="The knexfile.")
    migrations_dir: RelPath = Field(default="migrations", description="Knex's migrations directory.")
    migrations_table: Ident = Field(default="knex_migrations", description="Knex's migrations table.")


# Both end up in a shell command (go install …@VERSION, setup-go), so only plain versions.
GoModuleVersion = Annotated[str, _matching(r"v[0-9]+\.[0-9]+\.[0-9]+", "must be a golang-migrate release such as 'v4.18.3'")]
GoVersion = Annotated[str, _matching(r"1\.[0-9]{1,3}(\.[0-9]{1,3})?", "must be a Go version such as '1.24' or '1.24.4'")]


class GolangMigrateTool(Section):
    """golang-migrate: `<version>_<name>.up.sql` / `.down.sql` files."""

    name: Literal["golang-migrate"] = Field(description="Migration tool.")
    migrations_dir: RelPath = Field(default="db/migrations", description="The migrations directory (-path).")
    cli_version: GoModuleVersion = Field(
        default="v4.18.3", description="golang-migrate release CI installs (go install …@VERSION)."
    )
    go_version: GoVersion = Field(
        default="1.24", description="Go version actions/setup-go installs to build the golang-migrate CLI."
    )


Tool = Annotated[
    Union[
        PrismaTool,
        AlembicTool,
        DjangoTool,
        DbmateTool,
        NodePgMigrateTool,
        DrizzleTool,
        KnexTool,
        GolangMigrateTool,
    ],
    Field(discriminator="name", description="The migration tool; `name` selects its table."),
]


class RenderHost(Section):
    """A Render web service that only builds and starts, never migrates."""

    name: Literal["render"] = Field(description="Hosting platform.")
    service_name: Text = Field(description="Render service name.")
    service_type: Literal["web", "worker", "pserv"] = Field(
        default="web", description="Render service type."
    )
    runtime: Literal["node", "docker", "python", "ruby", "go", "elixir", "rust"] = Field(
        default="node", description="Render runtime."
    )
    region: Literal["oregon", "ohio", "virginia", "frankfurt", "singapore"] | None = Field(
        default=None, description="Render region; omitted means Render's default."
    )
    plan: Text | None = Field(default=None, description="Render plan; omitted means Render's default.")
    build_command: Command = Field(
        default="npm run build:render", description="Render buildCommand. Must never migrate."
    )
    pre_deploy_command: OptionalCommand = Field(
        default="npm run build:render",
        description='Render preDeployCommand. Must never migrate; "" leaves it out.',
    )
    start_command: Command = Field(
        default="npm run start", description="Render startCommand. Must never migrate."
    )
    auto_deploy: Literal[False] = Field(
        default=False,
        description="Always false: deploys happen only from the deploy job, after migrate-prod.",
    )
    health_check_path: Text | None = Field(default=None, description="Render healthCheckPath.")
    env_vars: list[SecretName] = Field(
        default_factory=lambda: ["DATABASE_URL"],
        description="Environment variable names the service needs; values are set in Render's dashboard (sync: false).",
    )
    service_id_secret: SecretName = Field(
        default="RENDER_SERVICE_ID",
        description="Secret holding the service's id (srv-…), for deploys through Render's API (deploy.mode = \"api\").",
    )
    api_key_secret: SecretName = Field(
        default="RENDER_API_KEY",
        description="Secret holding a Render API key, for deploys through Render's API (deploy.mode = \"api\").",
    )


_FLY_APP_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_FLY_REGION_RE = re.compile(r"[a-z]{3}")
_FLYCTL_VERSION_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
_HEROKU_APP_RE = re.compile(r"[a-z][a-z0-9-]{1,28}[a-z0-9]")


FlyctlVersion = Annotated[
    str,
    _matching(_FLYCTL_VERSION_RE, "must be a flyctl release such as '0.3.120' (or leave it out for the latest)"),
]


class FlyHost(Section):
    """A Fly.io app: fly.toml without a release_command; deployed by `flyctl deploy`."""

    name: Literal["fly"] = Field(description="Hosting platform.")
    app: Annotated[str, _matching(_FLY_APP_RE, "must be a Fly app name: lowercase letters, digits and '-' (at most 63)")] = Field(description="Fly app name.")
    primary_region: Annotated[str, _matching(_FLY_REGION_RE, "must be a Fly region code such as 'iad', 'ams' or 'syd'")] = Field(
        default="iad", description="Fly primary_region (a three-letter region code)."
    )
    dockerfile: RelPath = Field(
        default="Dockerfile",
        description="Dockerfile Fly builds, relative to the working directory (its RUN/CMD/ENTRYPOINT are guarded).",
    )
    start_command: OptionalCommand = Field(
        default=None,
        description="[processes] app command; omitted means the Dockerfile's CMD. Must never migrate.",
    )
    internal_port: int = Field(default=8080, ge=1, le=65535, description="[http_service] internal_port.")
    api_token_secret: SecretName = Field(
        default="FLY_API_TOKEN", description="Environment secret holding a Fly deploy token (fly tokens create deploy)."
    )
    flyctl_version: Optional[FlyctlVersion] = Field(
        default=None, description="flyctl release the deploy job installs; omitted means the latest."
    )


class HerokuHost(Section):
    """A Heroku app: a Procfile without a release phase; deployed through the Platform API."""

    name: Literal["heroku"] = Field(description="Hosting platform.")
    app: Annotated[str, _matching(_HEROKU_APP_RE, "must be a Heroku app name: 3 to 30 lowercase letters, digits and '-', "
            "starting with a letter and not ending with '-'")] = Field(description="Heroku app name.")
    start_command: Command = Field(default="npm run start", description="Procfile `web:` command. Must never migrate.")
    api_key_secret: SecretName = Field(
        default="HEROKU_API_KEY",
        description="Environment secret holding a Heroku API key (heroku authorizations:create).",
    )


Host = Annotated[
    Union[RenderHost, FlyHost, HerokuHost],
    Field(discriminator="name", description="The hosting platform; `name` selects its table."),
]


class TestJob(Section):
    """A CI test job: the app's own commands, optionally against a test database."""

    name: Text = Field(description="Human-readable job name.")
    commands: list[Command] = Field(
        min_length=1, description="The app's own test commands, run in order."
    )
    timeout_minutes: int = Field(default=20, ge=1, le=360, description="Job timeout in minutes.")


def _default_test_jobs() -> dict[str, TestJob]:
    return {
        "backend-tests": TestJob(name="Backend tests", commands=["npm run test:backend"]),
        "integration-tests": TestJob(
            name="Integration tests", commands=["npm run test:integration"]
        ),
    }


class CI(Section):
    """The GitHub Actions workflow."""

    workflow_name: Text = Field(default="CI/CD", description="The workflow's name.")
    main_branch: BranchName = Field(
        default="main", description="Pushes to this branch migrate and deploy."
    )
    runner: Text = Field(default="ubuntu-latest", description="runs-on label for every job.")
    install_command: Command | None = Field(
        default=None,
        description="Dependency install command; default from the package manager (npm ci, …).",
    )
    build_commands: list[Command] = Field(
        default_factory=lambda: ["npm run build"],
        description="The app's build commands run by build-verification after the guard.",
    )
    build_timeout_minutes: int = Field(default=15, ge=1, le=360)
    migrate_timeout_minutes: int = Field(default=30, ge=1, le=360)
    deploy_timeout_minutes: int = Field(default=15, ge=1, le=360)
    test_jobs: dict[Ident, TestJob] = Field(
        default_factory=_default_test_jobs,
        description="Test jobs by job id; migrate-prod needs all of them.",
    )
    pipeline_file: RelPath = Field(
        default="pipeline.toml",
        description="Where this file lives in the repo; the workflow runs `migpipe verify` on it.",
    )
    migpipe_requirement: Text | None = Field(
        default=None,
        description="pip requirement used to install migpipe in CI; default pins this migpipe's version.",
    )
    triggers: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "The workflow's `on:` as the team wrote it (branches, paths, workflow_dispatch, merge_group, …); "
            "empty means a push to main_branch and every pull_request. It must let a push to main_branch run."
        ),
    )
    team_jobs: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description=(
            "The team's own jobs, by id, exactly as in their workflow (runs-on, needs, if, env, steps with "
            "uses/with/run/id/if, secrets where they put them). A step { migpipe = \"test-database\" } builds "
            "the test database with the real migrations. Written back as they are."
        ),
    )
    team_deploy_jobs: list[Ident] = Field(
        default_factory=list,
        description="Team jobs that deploy: each needs migrate-prod in the generated workflow.",
    )

    @model_validator(mode="after")
    def _team_jobs(self) -> CI:
        from migpipe.config.team import team_job_problems, trigger_problems

        problems = team_job_problems(self.team_jobs, self.team_deploy_jobs, list(self.test_jobs))
        problems += trigger_problems(self.triggers, self.main_branch)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _reserved_job_ids(self) -> CI:
        reserved = {"build-verification", "migrate-prod", "deploy"}
        # One "key.path: text" line per problem; the loader locates each line.
        problems = [
            f"test_jobs.{job}: this job id is reserved for a generated job (expected another id)"
            for job in self.test_jobs
            if job in reserved
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self


# postgres:16-alpine as pinned by migpipe's release; override in pipeline.toml.
DEFAULT_POSTGRES_IMAGE = (
    "postgres:16-alpine@sha256:57c72fd2a128e416c7fcc499958864df5301e940bca0a56f58fddf30ffc07777"
)


class TestDatabase(Section):
    """The throwaway Postgres the test jobs build with real migrations."""

    image: ImageRef = Field(
        default=DEFAULT_POSTGRES_IMAGE,
        description="Postgres service image, pinned by digest (a tag can be moved).",
    )
    user: Ident = Field(default="postgres", description="Test database user.")
    password: Ident = Field(
        default="postgres", description="Test database password (a throwaway container, not a secret)."
    )
    database: Ident = Field(default="app_test", description="Test database name.")
    port: int = Field(default=5432, ge=1, le=65535, description="Host port of the service.")
    url_env: SecretName = Field(
        default="DATABASE_URL", description="Environment variable the app and tool read the URL from."
    )
    jobs: list[Ident] = Field(
        default_factory=lambda: ["backend-tests", "integration-tests"],
        description="Test jobs that get the database, built by real migrations (never db push).",
    )


# The kinds and their defaults come from the one table in migpipe.policy; to
# the type checker a kind is a str, to pydantic (validation, "did you mean",
# the JSON schema's enum) a Literal of the table's names.
if TYPE_CHECKING:
    DestructiveKind = str
else:
    DestructiveKind = Literal[KIND_NAMES]


def _check_guard_path(value: str) -> str:
    # An exempted entry point: a repository path, '*' and '?' allowed (docker/Dockerfile.*).
    return _check_relpath(value.replace("*", "x").replace("?", "x")) and value


def _check_reason(value: str) -> str:
    _printable_line(value, "a reason")
    if not value.strip():
        raise ValueError("must say why this entry point may migrate (a written reason)")
    return value


class GuardExemption(Section):
    """A host config the build guard does not fail on, and why (e.g. a dev-only Dockerfile)."""

    path: Annotated[str, AfterValidator(_check_guard_path)] = Field(
        description="The entry point's file, relative to the repository root ('*' and '?' match within a name)."
    )
    reason: Annotated[str, AfterValidator(_check_reason)] = Field(
        description="Why migrations reached from this file are not a host's own (shown beside each exempted finding)."
    )


class Guards(Section):
    """What the guards forbid and how migrations are applied."""

    forbidden_commands: list[Command] = Field(
        default_factory=list,
        description="Extra commands the build guard forbids, on top of the migration tool's own.",
    )
    exempt: list[GuardExemption] = Field(
        default_factory=list,
        description="Host configs present in the repository that the build guard reports but does not fail on, each with a written reason.",
    )
    block: list[DestructiveKind] = Field(
        default_factory=lambda: list(DEFAULT_BLOCK),
        description="Kinds of change that stop migrate-prod (exit 2); see the runbook's table of kinds.",
    )
    warn: list[DestructiveKind] = Field(
        default_factory=lambda: list(DEFAULT_WARN),
        description="Kinds that are reported but do not block.",
    )
    lock_timeout: Duration = Field(
        default="5s", description="lock_timeout of the session that applies migrations."
    )
    statement_timeout: Duration = Field(
        default="15min", description="statement_timeout of the session that applies migrations."
    )
    connect_timeout_seconds: int = Field(
        default=10, ge=1, le=300, description="How long to wait for the database to answer."
    )
    squawk_version: Annotated[str, AfterValidator(_check_text)] = Field(
        default="2.*", description="squawk-cli version installed by migrate-prod (pip specifier part)."
    )

    @model_validator(mode="after")
    def _block_and_warn_disjoint(self) -> Guards:
        blocked = set(self.block)
        problems = [
            f"warn[{index}]: {kind!r} is also listed in block (expected each kind in one list)"
            for index, kind in enumerate(self.warn)
            if kind in blocked
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self


class Approval(Section):
    """The GitHub environment whose required reviewers approve migrate-prod."""

    gate: Literal["reviewers", "dispatch"] = Field(
        default="reviewers",
        description=(
            "reviewers: the environment's required reviewers approve migrate-prod (GitHub offers them only in "
            "public repositories on Free/Pro/Team; `migpipe approval-check` fails closed without them). "
            "dispatch: works on every plan; migrate-prod runs only from a workflow_dispatch (write access "
            "needed) whose plan_digest input names the plan the dispatcher reviewed."
        ),
    )
    environment: EnvironmentName = Field(
        default="production", description="Environment with required reviewers gating migrate-prod."
    )
    database_url_secret: SecretName = Field(
        default="PRODUCTION_DATABASE_URL",
        description="Environment secret holding the production database URL.",
    )


class Backup(Section):
    """pg_dump before applying; if the backup fails nothing is applied."""

    enabled: bool = Field(default=True, description="Take a pg_dump before applying migrations.")
    format: Literal["custom", "directory", "tar", "plain"] = Field(
        default="custom", description="pg_dump --format."
    )
    directory: RelPath = Field(
        default="migpipe-backups", description="Where the dump is written on the runner."
    )
    upload_command: Command | None = Field(
        default=None,
        description="Optional command that uploads the dump; it receives the file path as $BACKUP_FILE.",
    )
    upload_secrets: list[SecretName] = Field(
        default_factory=list, description="Secrets the upload command needs, passed as env vars."
    )

    @model_validator(mode="after")
    def _upload_needs_backup(self) -> Backup:
        problems = []
        if self.upload_command and not self.enabled:
            problems.append(
                "upload_command: set, but enabled = false (there would be nothing to upload; "
                "expected enabled = true or no upload_command)"
            )
        if self.upload_secrets and not self.upload_command:
            problems.append("upload_secrets: set, but there is no upload_command (expected an upload_command that uses them)")
        if problems:
            raise ValueError("\n".join(problems))
        return self


class ExtraStep(Section):
    """A deploy step the team already has (e.g. a Vercel deploy), kept as written."""

    name: Text = Field(description="Step name.")
    run: Command | None = Field(default=None, description="Shell command of the step.")
    uses: Text | None = Field(default=None, description="Action reference (pin it to a commit SHA).")
    with_: dict[Ident, Text] = Field(default_factory=dict, alias="with", description="Action inputs.")
    env: dict[SecretName, Text] = Field(default_factory=dict, description="Plain environment values.")
    secrets: list[SecretName] = Field(
        default_factory=list,
        description=(
            "Secrets exposed to this step as env vars of the same name: the only way a secret "
            "reaches a step (an action that takes a token as an input: call its CLI in a run step)."
        ),
    )


    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    @model_validator(mode="after")
    def _run_or_uses(self) -> ExtraStep:
        problems = []
        if self.run is None and self.uses is None:
            problems.append("a step needs exactly one of 'run' or 'uses' (it has neither)")
        if self.run is not None and self.uses is not None:
            problems.append("uses: a step needs exactly one of 'run' or 'uses' (it has both)")
        if self.with_ and self.uses is None:
            problems.append("with: only applies to a 'uses' step (expected 'uses', or no 'with')")

        values = [
            *((f"with.{key}", value) for key, value in self.with_.items()),
            *((f"env.{key}", value) for key, value in self.env.items()),
            ("uses", self.uses or ""),
        ]
        for where, value in values:
            if "${{" in value:
                problems.append(
                    f"{where}: must not contain '${{{{' (expected plain text; list secrets under 'secrets')"
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self


class Deploy(Section):
    """The deploy job, which runs only after migrate-prod succeeded."""

    environment: EnvironmentName = Field(
        default="production-deploy",
        description="Environment holding the deploy secrets (no reviewers needed: migrate-prod was approved).",
    )
    mode: Literal["api", "hook"] = Field(
        default="api",
        description=(
            "api: deploy exactly the migrated commit through the host's API and wait until it is live. "
            "hook (Render only, weaker): call the deploy hook, which deploys the branch head and is not confirmed."
        ),
    )
    hook_secret: SecretName = Field(
        default="RENDER_DEPLOY_HOOK_URL", description="Secret holding Render's deploy hook URL (deploy.mode = \"hook\")."
    )
    wait_minutes: int = Field(
        default=12, ge=1, le=120, description="How long `migpipe deploy` waits for the deploy to be live before failing."
    )
    poll_seconds: int = Field(default=10, ge=1, le=300, description="How often `migpipe deploy` asks the host.")
    extra_steps: list[ExtraStep] = Field(
        default_factory=list, description="The team's own deploy steps, run after the host deploy."
    )


class Outputs(Section):
    """Where generated files are written, relative to the repository root."""

    workflow: RelPath = Field(default=DEFAULT_PATHS["workflow"])
    build_guard: RelPath = Field(default=DEFAULT_PATHS["build_guard"])
    migrate_script: RelPath = Field(default=DEFAULT_PATHS["migrate_script"])
    host_config: Optional[RelPath] = Field(
        default=DEFAULT_PATHS["host_config"],
        description=(
            "The host's config file; omitted means the host's own: render.yaml at the root, "
            "fly.toml or Procfile in the working directory (Heroku reads only that Procfile)."
        ),
    )
    runbook: RelPath = Field(default=DEFAULT_PATHS["runbook"])

    @model_validator(mode="after")
    def _distinct(self) -> Outputs:
        # An omitted host_config is checked by Pipeline, which knows the host.
        paths = {key: path for key, path in self.model_dump().items() if path is not None}
        problems = [f"{key}: {text}" for key, text in path_clashes(paths, self.model_fields_set)]
        if problems:
            raise ValueError("\n".join(problems))
        return self


def path_clashes(paths: dict[str, str], explicit: set[str]) -> list[tuple[str, str]]:
    """(outputs key, problem) for every path that repeats another or nests in one."""
    # Blame the key the user wrote rather than the default it collides with:
    # explicitly set keys go last, so they are the ones reported.
    order = sorted(paths, key=lambda key: key in explicit)
    seen: dict[str, str] = {}
    problems = []
    for key in order:
        path = paths[key]
        if path in seen:
            problems.append((key, f"{path!r} is also the path of outputs.{seen[path]} (expected a distinct path)"))
        else:
            seen[path] = key
    for key in order:
        for other_path, other in seen.items():
            if paths[key].startswith(other_path + "/"):
                problems.append(
                    (
                        key,
                        f"{paths[key]!r} would need outputs.{other} ({other_path!r}) to be a "
                        "directory (expected paths that do not nest)",
                    )
                )
    return problems


class Pipeline(Section):
    """pipeline.toml: a team's migration policy, compiled by `migpipe generate`."""

    version: Literal[1] = Field(description="Format version of this file; always 1.")
    project: Project
    tool: Tool
    host: Host
    ci: CI = Field(default_factory=CI)
    test_database: TestDatabase = Field(default_factory=TestDatabase)
    guards: Guards = Field(default_factory=Guards)
    approval: Approval = Field(default_factory=Approval)
    backup: Backup = Field(default_factory=Backup)
    deploy: Deploy = Field(default_factory=Deploy)
    outputs: Outputs = Field(default_factory=Outputs)

    # The data this model was validated from, as markers.canonical_data
    # writes it: what the digest in every generated file's header is of.
    _source: str = PrivateAttr(default="")

    @model_validator(mode="wrap")
    @classmethod
    def _remember_source(cls, data: object, handler) -> Pipeline:
        pipeline = handler(data)
        if isinstance(data, dict):
            # Only after validation succeeded: a digest always names valid data.
            pipeline._source = canonical_data(data)
        return pipeline

    @property
    def digest(self) -> str:
        """The digest every generated file's header records (see migpipe.markers)."""
        if not self._source:
            raise ValueError("a Pipeline has a digest only when validated from pipeline.toml data")
        # Taken here, not at validation: it reads migpipe's templates and code,
        # which commands that generate nothing (check-build, init) never need.
        return source_digest(self._source)

    @model_validator(mode="after")
    def _cross_checks(self) -> Pipeline:
        # Checks across tables run only once every table is valid on its own.
        problems = []
        known = ", ".join(self.ci.test_jobs) or "no jobs are defined"
        for index, job in enumerate(self.test_database.jobs):
            if job not in self.ci.test_jobs:
                problems.append(
                    f"test_database.jobs[{index}]: {job!r} is not a job in ci.test_jobs (expected one of: {known})"
                )
        if self.host.name != "render" and "hook_secret" in self.deploy.model_fields_set:
            problems.append(
                f"deploy.hook_secret: only Render deploys through a deploy hook; {self.host.name} reads "
                "its credentials from the secret named in [host] (expected no hook_secret)"
            )
        if self.deploy.mode == "hook" and self.host.name != "render":
            problems.append(
                f"deploy.mode: 'hook' is Render's deploy hook; {self.host.name} deploys through its API "
                "(expected \"api\")"
            )
        if self.deploy.wait_minutes >= self.ci.deploy_timeout_minutes:
            problems.append(
                f"deploy.wait_minutes: {self.deploy.wait_minutes} leaves no time in the deploy job's "
                f"{self.ci.deploy_timeout_minutes} minutes (expected less than ci.deploy_timeout_minutes)"
            )
        for secret_key, secret in self._deploy_secrets():
            if self.approval.database_url_secret == secret:
                problems.append(
                    f"{secret_key}: must differ from approval.database_url_secret (both are {secret!r})"
                )
        problems.extend(self._team_migration_problems())
        paths = self.output_paths()
        if self.outputs.host_config is None:
            # The host's own file was not there for Outputs to compare.
            problems.extend(
                f"outputs.{key}: {text}" for key, text in path_clashes(paths, self.outputs.model_fields_set)
            )
        else:
            problems.extend(self._host_config_problems(paths["host_config"]))
        for key, path in paths.items():
            if path == self.ci.pipeline_file:
                problems.append(
                    f"outputs.{key}: {path!r} is the policy file itself (ci.pipeline_file); "
                    "generate would overwrite it (expected another path)"
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _team_migration_problems(self) -> list[str]:
        from migpipe.config.team import migration_step_problems
        from migpipe.profiles.tools import COMMON_FORBIDDEN

        def is_migration(line: str) -> str | None:
            return next((c.label for c in COMMON_FORBIDDEN if re.search(c.pattern, line)), None)

        return migration_step_problems(self.ci.team_jobs, is_migration)

    def output_paths(self) -> dict[str, str]:
        """Every output's path, an omitted host_config being the host's own file."""
        return output_paths(self.outputs.model_dump(), self.host.name, self.project.working_directory)

    def _deploy_secrets(self) -> list[tuple[str, str]]:
        """Where each deploy credential's secret name is set, and that name."""
        if isinstance(self.host, FlyHost):
            return [("host.api_token_secret", self.host.api_token_secret)]
        if isinstance(self.host, HerokuHost):
            return [("host.api_key_secret", self.host.api_key_secret)]
        if self.deploy.mode == "hook":
            return [("deploy.hook_secret", self.deploy.hook_secret)]
        return [("host.api_key_secret", self.host.api_key_secret), ("host.service_id_secret", self.host.service_id_secret)]

    def _host_config_problems(self, path: str) -> list[str]:
        from migpipe.profiles.hosts import default_host_config, host_config_is_fixed

        expected = default_host_config(self.host.name, self.project.working_directory)
        if host_config_is_fixed(self.host.name) and path != expected:
            return [
                f"outputs.host_config: {self.host.name} reads its config only from {expected!r}, "
                f"the root of the source it deploys (expected {expected!r} or no host_config)"
            ]
        return []
