"""The tables of pipeline.toml that every tool and host share.

The migration tool's table ([tool]) and the host's ([host]) belong to their
profiles (migpipe.profiles.tools.<tool>, migpipe.profiles.hosts.<host>);
the model of the whole file, which joins them with these, is
migpipe.pipeline. Nothing here knows a tool or a host.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from migpipe.config.paths import (
    DEFAULT_BUILD_GUARD,
    DEFAULT_MIGRATE_SCRIPT,
    DEFAULT_RUNBOOK,
    DEFAULT_WORKFLOW,
    DEFAULT_WORKING_DIRECTORY,
)
from migpipe.config.types import (
    BranchName,
    Command,
    Duration,
    EnvironmentName,
    Ident,
    ImageRef,
    NodeVersion,
    PinnedVersion,
    PlainText,
    PythonVersion,
    RelPath,
    Requirement,
    RunnerLabel,
    SecretName,
    Section,
    Text,
    Timeout,
    WorkDir,
    check_plain_text,
    check_relpath,
    matching,
    printable_line,
)
from migpipe.policy import DEFAULT_BLOCK, DEFAULT_WARN, KIND_NAMES

# How CI installs a Node project's dependencies, by package manager.
INSTALL_COMMANDS: dict[str, str] = {
    "npm": "npm ci",
    "pnpm": "pnpm install --frozen-lockfile",
    "yarn": "yarn install --frozen-lockfile",
}
# ... and a Python project's (the Python tools: alembic, django).
PYTHON_INSTALL_COMMAND = "python -m pip install -r requirements.txt"
if TYPE_CHECKING:
    PackageManager = str
else:
    PackageManager = Literal[tuple(INSTALL_COMMANDS)]

# The jobs the generated workflow defines itself: no test job may take their ids.
GENERATED_JOB_IDS = ("build-verification", "review", "migrate-plan", "migrate-prod", "deploy")


class Project(Section):
    """The application whose migrations the pipeline guards."""

    name: PlainText = Field(description="Project name, used in job names and the runbook.")
    node_version: NodeVersion = Field(
        default="20", description="Node.js version for actions/setup-node."
    )
    package_manager: PackageManager = Field(
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


class TestJob(Section):
    """A CI test job: the app's own commands, optionally against a test database."""

    name: PlainText = Field(description="Human-readable job name.")
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

    workflow_name: PlainText = Field(default="CI/CD", description="The workflow's name.")
    main_branch: BranchName = Field(
        default="main", description="Pushes to this branch migrate and deploy."
    )
    runner: RunnerLabel = Field(default="ubuntu-latest", description="runs-on label for every job.")
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
    migpipe_requirement: Requirement | None = Field(
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
        reserved = set(GENERATED_JOB_IDS)
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


# The parts of a database URL a tool may read from variables of their own.
UrlPart = Literal["host", "port", "user", "password", "database"]


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
    other_url_envs: dict[SecretName, SecretName] = Field(
        default_factory=dict,
        description=(
            "Other variables the tool reads a database URL from besides url_env (e.g. Prisma's "
            "directUrl = env(\"DIRECT_URL\")), each with the secret (in approval.environment) holding its "
            "production value. Every job that runs the tool sets them: test jobs and the review's drift "
            "check to their database, migrate-plan to the read-only URL, migrate-prod to that secret."
        ),
    )

    url_part_envs: dict[SecretName, UrlPart] = Field(
        default_factory=dict,
        description=(
            "Variables the tool reads the connection from piece by piece instead of one URL (Django settings "
            "reading PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), each with the part it holds: host, port, "
            "user, password or database. Test jobs and the review's drift check set them to their database's; "
            "`migpipe migrate` sets them from url_env for every command of the tool it runs."
        ),
    )

    @model_validator(mode="after")
    def _other_url_envs(self) -> TestDatabase:
        problems = [
            f"other_url_envs.{name}: is url_env already (expected another variable, or none)"
            for name in self.other_url_envs
            if name == self.url_env
        ]
        problems += [
            f"url_part_envs.{name}: is {'url_env' if name == self.url_env else 'in other_url_envs'} already "
            "(expected a variable holding one part of the URL)"
            for name in self.url_part_envs
            if name == self.url_env or name in self.other_url_envs
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self


# The kinds and their defaults come from the one table in migpipe.policy; to
# the type checker a kind is a str, to pydantic (validation, "did you mean",
# the JSON schema's enum) a Literal of the table's names.
if TYPE_CHECKING:
    DestructiveKind = str
else:
    DestructiveKind = Literal[KIND_NAMES]


def _check_guard_path(value: str) -> str:
    # An exempted entry point: a repository path, '*' and '?' allowed (docker/Dockerfile.*).
    return check_relpath(value.replace("*", "x").replace("?", "x")) and value


def _check_reason(value: str) -> str:
    printable_line(value, "a reason")
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
    lock_timeout: Timeout = Field(
        default="5s", description="lock_timeout of the session that applies migrations."
    )
    statement_timeout: Timeout = Field(
        default="15min", description="statement_timeout of the session that applies migrations."
    )
    connect_timeout_seconds: int = Field(
        default=10, ge=1, le=300, description="How long to wait for the database to answer."
    )
    squawk_version: PinnedVersion = Field(
        default="2.*", description="squawk-cli version installed by migrate-prod (pip specifier part)."
    )
    # Retrying a migration that failed on lock_timeout. Defaults: strong_migrations'
    # lock_timeout_retries (3) and retry delay (10 s), with pgroll's exponential
    # backoff capped at 1 minute; see the runbook.
    lock_retries: int = Field(
        default=3, ge=0, le=50,
        description="Retries of a migration that failed on lock_timeout and applied nothing (0: no retry).",
    )
    lock_retry_delay: Duration = Field(
        default="10s", description="Wait before the first retry; doubled before each next one."
    )
    lock_retry_max_delay: Duration = Field(
        default="1min", description="The longest wait between two retries."
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
    plan_environment: EnvironmentName = Field(
        default="production-plan",
        description="Environment of the migrate-plan job (no reviewers): it holds only the read-only URL.",
    )
    plan_database_url_secret: SecretName = Field(
        default="PRODUCTION_DATABASE_URL_READONLY",
        description=(
            "Secret (in plan_environment) holding a URL of production for a read-only role: migrate-plan "
            "computes the pending set with it before anyone approves."
        ),
    )

    @model_validator(mode="after")
    def _plan_apart_from_apply(self) -> Approval:
        problems = []
        if self.plan_environment == self.environment:
            problems.append(
                f"plan_environment: {self.plan_environment!r} is also approval.environment; the plan runs before "
                "the approval, so it needs its own environment holding only the read-only URL (expected another name)"
            )
        if self.plan_database_url_secret == self.database_url_secret:
            problems.append(
                f"plan_database_url_secret: {self.plan_database_url_secret!r} is also database_url_secret; the plan "
                "job must not hold the credential that can migrate (expected a read-only role's secret)"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self


class Backup(Section):
    """What is saved before applying; if it fails nothing is applied."""

    mode: Literal["dump", "restore-point", "none"] = Field(
        default="dump",
        description=(
            "dump: pg_dump (time and space grow with the database); restore-point: record the server "
            "time and WAL position for the provider's point-in-time recovery (constant time); none."
        ),
    )
    enabled: bool | None = Field(
        default=None,
        description="Deprecated: `enabled = false` means `mode = \"none\"`. Use mode.",
    )
    format: Literal["custom", "directory", "tar", "plain"] = Field(
        default="custom", description="pg_dump --format."
    )
    directory: RelPath = Field(
        default="migpipe-backups",
        description="Where the dump is written: a directory under the runner's temp dir ($RUNNER_TEMP), outside the checkout.",
    )
    upload_command: Command | None = Field(
        default=None,
        description="Optional command that uploads the dump; it receives the file path as $BACKUP_FILE.",
    )
    upload_secrets: list[SecretName] = Field(
        default_factory=list, description="Secrets the upload command needs, passed as env vars."
    )

    @model_validator(mode="before")
    @classmethod
    def _enabled_means_a_mode(cls, data: Any) -> Any:
        # `enabled` (before `mode` existed) keeps working: false is mode "none".
        if isinstance(data, dict) and isinstance(data.get("enabled"), bool) and "mode" not in data:
            data = {**data, "mode": "dump" if data["enabled"] else "none"}
        return data

    @model_validator(mode="after")
    def _upload_needs_backup(self) -> Backup:
        problems = []
        if self.enabled is not None and self.mode != ("dump" if self.enabled else "none"):
            problems.append(
                f"enabled: {str(self.enabled).lower()} contradicts mode = {self.mode!r} "
                "(expected only mode; enabled is deprecated)"
            )
        if self.upload_command and self.mode != "dump":
            problems.append(
                f"upload_command: set, but mode = {self.mode!r} (there would be no dump to upload; "
                "expected mode = \"dump\" or no upload_command)"
            )
        if self.upload_secrets and not self.upload_command:
            problems.append("upload_secrets: set, but there is no upload_command (expected an upload_command that uses them)")
        if problems:
            raise ValueError("\n".join(problems))
        return self


_ACTION_REF_RE = (
    r"(\./[A-Za-z0-9_.@+/-]+"  # a local action in the repository
    r"|[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.@+/-]+)?@[0-9a-f]{40}"  # owner/repo[/path]@<commit SHA>
    r"|docker://[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64})"  # an image by digest
)
# A tag or branch can be moved to other code; a commit SHA (or a digest) cannot.
ActionRef = Annotated[
    str,
    AfterValidator(check_plain_text),
    matching(
        _ACTION_REF_RE,
        "must be pinned to a full commit SHA (owner/repo@<40 hex digits>) or be a local action (./path)",
    ),
]


class ExtraStep(Section):
    """A deploy step the team already has (e.g. a Vercel deploy), kept as written."""

    name: PlainText = Field(description="Step name.")
    run: Command | None = Field(default=None, description="Shell command of the step.")
    uses: ActionRef | None = Field(
        default=None,
        description="Action reference, pinned: owner/repo[/path]@<40-hex commit SHA>, or a local action ./path.",
    )
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


# Version-control directories: a file generated there could run as a hook.
VCS_DIRECTORIES = (".git", ".hg", ".svn")


def _check_output_path(value: str) -> str:
    for part in value.split("/"):
        if part.lower() in VCS_DIRECTORIES:
            raise ValueError(
                f"must not be inside {part}/ (a version-control directory, where a file can run as a hook); "
                "expected a path in the working tree"
            )
    return value


OutputPath = Annotated[str, AfterValidator(check_relpath), AfterValidator(_check_output_path)]


class Outputs(Section):
    """Where generated files are written, relative to the repository root."""

    workflow: OutputPath = Field(default=DEFAULT_WORKFLOW)
    build_guard: OutputPath = Field(default=DEFAULT_BUILD_GUARD)
    migrate_script: OutputPath = Field(default=DEFAULT_MIGRATE_SCRIPT)
    host_config: OutputPath | None = Field(
        default=None,
        description=(
            "The host's config file; omitted means the host's own: render.yaml at the root, "
            "fly.toml or Procfile in the working directory (Heroku reads only that Procfile)."
        ),
    )
    runbook: OutputPath = Field(default=DEFAULT_RUNBOOK)

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


class SharedTables(Protocol):
    """What a tool or host profile may read besides its own table.

    migpipe.pipeline.Pipeline is one; profiles name this Protocol instead, so
    they depend on config/ only, never on the model of the whole file.
    """

    @property
    def project(self) -> Project: ...

    @property
    def ci(self) -> CI: ...

    @property
    def test_database(self) -> TestDatabase: ...

    @property
    def guards(self) -> Guards: ...

    @property
    def approval(self) -> Approval: ...

    @property
    def backup(self) -> Backup: ...

    @property
    def deploy(self) -> Deploy: ...

    @property
    def outputs(self) -> Outputs: ...

    def output_paths(self) -> dict[str, str]:
        """Every output's path, an omitted host_config being the host's own file."""
        ...
