"""What a repository's existing GitHub workflow does, in pipeline.toml's terms.

Jobs are sorted by what their steps do: a job with a deploy step is the
team's deploy (its own steps become ``[[deploy.extra_steps]]``, except a
Render deploy, which the generated deploy job does); any other job is a test
job (``[ci.test_jobs.<id>]``) whose commands are its ``run:`` steps, less the
setup the generated jobs do themselves (checkout, setup-node, install) and
less any migration (the generated migrate-prod job and test database do
those). Build steps become ``ci.build_commands``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migpipe.adopt.commands import is_migration, join_run_block
from migpipe.config.tables import GENERATED_JOB_IDS
from migpipe.config.types import IDENT_RE

# Actions the generated jobs already run themselves.
SETUP_ACTIONS = (
    "actions/checkout",
    "actions/setup-node",
    "actions/cache",
    "actions/setup-python",
    "pnpm/action-setup",
)
_INSTALL_RE = re.compile(r"^(npm (ci|install|i)|pnpm (i|install)|yarn( install)?)(\s|$)")
_SETUP_RUN_RE = re.compile(r"^(corepack enable|npm (i|install) -g (pnpm|yarn)\S*)$")
_BUILD_RE = re.compile(r"^((npm|pnpm|yarn)( run)? build(\s|$)|(npx |pnpm exec |yarn )?(next|turbo run|vite|tsc|nest) build\b)")
_DEPLOY_RE = re.compile(r"\b(vercel|netlify|wrangler|flyctl|fly deploy|railway up|heroku|deploy)\b", re.IGNORECASE)
_RENDER_DEPLOY_RE = re.compile(r"api\.render\.com/deploy|render[-_]deploy|\bRENDER_DEPLOY|render\s+deploys?\b", re.IGNORECASE)
_SECRET_ONLY_RE = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
RESERVED_JOB_IDS = GENERATED_JOB_IDS


@dataclass
class WorkflowFacts:
    path: str
    name: str | None = None
    main_branch: str | None = None
    runner: str | None = None
    node_version: str | None = None
    install_command: str | None = None
    build_commands: list[str] = field(default_factory=list)
    test_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    database_jobs: list[str] = field(default_factory=list)
    database: dict[str, Any] = field(default_factory=dict)
    extra_steps: list[dict[str, Any]] = field(default_factory=list)
    hook_secret: str | None = None
    removed: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)


def load_yaml(path: Path) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError):
        return None


def _triggers(document: dict[Any, Any]) -> Any:
    # YAML 1.1 readers turn the key `on` into True; ruamel reads YAML 1.2, but be safe.
    return document.get("on", document.get(True))


def _main_branch(document: dict[str, Any]) -> str | None:
    triggers = _triggers(document)
    if not isinstance(triggers, dict) or not isinstance(triggers.get("push"), dict):
        return None
    branches = [b for b in triggers["push"].get("branches") or [] if isinstance(b, str) and "*" not in b]
    for preferred in ("main", "master"):
        if preferred in branches:
            return preferred
    return branches[0] if branches else None


def relevance(document: Any) -> int:
    """How much a workflow looks like the team's CI/CD (0: not at all)."""
    if not isinstance(document, dict) or not isinstance(document.get("jobs"), dict):
        return 0
    triggers = _triggers(document)
    names = set(triggers) if isinstance(triggers, dict) else set(triggers or []) if isinstance(triggers, list) else {triggers}
    if not names & {"push", "pull_request"}:
        return 0
    return 1 + len(document["jobs"]) + (2 if _main_branch(document) else 0)


def _step_label(step: dict[str, Any], index: int) -> str:
    name = step.get("name")
    if isinstance(name, str) and name.strip() and "${{" not in name:
        return name.strip()
    uses = step.get("uses")
    if isinstance(uses, str):
        return uses.split("@")[0]
    return f"step {index + 1}"


def _uses(step: dict[str, Any]) -> str:
    uses = step.get("uses")
    return uses if isinstance(uses, str) else ""


def _is_deploy(step: dict[str, Any]) -> bool:
    uses = _uses(step)
    if uses:
        return not uses.startswith(SETUP_ACTIONS) and not uses.startswith(("actions/upload-artifact", "actions/download-artifact"))
    run = step.get("run")
    if not isinstance(run, str):
        run = ""
    return bool(_DEPLOY_RE.search(run) or _DEPLOY_RE.search(str(step.get("name") or "")))


def _is_render_deploy(step: dict[str, Any]) -> bool:
    text = " ".join(str(step.get(key) or "") for key in ("name", "uses", "run"))
    text += " " + " ".join(f"{k} {v}" for k, v in (step.get("env") or {}).items()) if isinstance(step.get("env"), dict) else ""
    return bool(_RENDER_DEPLOY_RE.search(text))


def _hook_secret(step: dict[str, Any]) -> str | None:
    text = " ".join(str(v) for v in [step.get("run"), *((step.get("env") or {}).values() if isinstance(step.get("env"), dict) else [])])
    names = [name for name in _SECRET_ONLY_RE.findall(text) if not name.upper().startswith("GITHUB_")]
    return names[0] if names else None


def read_workflow(path: Path, display: str, document: dict[str, Any]) -> WorkflowFacts:
    facts = WorkflowFacts(display)
    if isinstance(document.get("name"), str) and "${{" not in document["name"]:
        facts.name = document["name"]
    facts.main_branch = _main_branch(document)
    for job_id, job in document["jobs"].items():
        if not isinstance(job, dict):
            continue
        _read_job(facts, str(job_id), job)
    return facts


def _read_job(facts: WorkflowFacts, job_id: str, job: dict[str, Any]) -> None:
    where = f"{facts.path} jobs.{job_id}"
    if isinstance(job.get("uses"), str):
        facts.not_carried.append(f"{where}: calls the reusable workflow {job['uses']}; add it back by hand")
        return
    steps = [step for step in job.get("steps") or [] if isinstance(step, dict)]
    if facts.runner is None and isinstance(job.get("runs-on"), str) and "${{" not in job["runs-on"]:
        facts.runner = job["runs-on"]
    deploy_job = any(_is_deploy(step) for step in steps)
    commands: list[str] = []
    for index, step in enumerate(steps):
        label = _step_label(step, index)
        uses = _uses(step)
        if uses.startswith("actions/setup-node"):
            version = (step.get("with") or {}).get("node-version")
            if version is not None and "${{" not in str(version) and facts.node_version is None:
                facts.node_version = str(version)
            continue
        if uses.startswith(SETUP_ACTIONS):
            continue
        if deploy_job and _is_render_deploy(step):
            facts.hook_secret = facts.hook_secret or _hook_secret(step)
            facts.removed.append(f"{where} step {label!r}: the Render deploy (the generated deploy job triggers Render after migrate-prod)")
            continue
        run = step.get("run")
        if isinstance(run, str):
            if is_migration(run):
                facts.removed.append(
                    f"{where} step {label!r}: `{run.strip().splitlines()[0]}` (migrations run only in migrate-prod, and the test database is built with them)"
                )
                continue
            carried = join_run_block(run)
            if carried.command is None:
                facts.not_carried.append(f"{where} step {label!r}: {carried.problem}")
                continue
            command = carried.command
            if _SETUP_RUN_RE.match(command):
                continue
            if _INSTALL_RE.match(command):
                facts.install_command = facts.install_command or command
                continue
            if deploy_job:
                facts.extra_steps.append(_extra_run_step(label, command, carried.secrets, step, where, facts))
                continue
            if _BUILD_RE.match(command):
                if command not in facts.build_commands:
                    facts.build_commands.append(command)
                continue
            if isinstance(step.get("env"), dict) and step["env"]:
                facts.not_carried.append(
                    f"{where} step {label!r}: env {', '.join(map(str, step['env']))} (test jobs in pipeline.toml hold commands only)"
                )
            if carried.secrets:
                facts.not_carried.append(
                    f"{where} step {label!r}: needs secret(s) {', '.join(carried.secrets)}, which pipeline.toml cannot give a test job; kept the command as ${carried.secrets[0]}"
                )
            commands.append(command)
        elif uses and deploy_job:
            extra = _extra_uses_step(label, step, where, facts)
            if extra is not None:
                facts.extra_steps.append(extra)
        elif uses:
            facts.not_carried.append(f"{where} step {label!r}: uses {uses}, and test jobs hold only commands")
    if deploy_job or not commands:
        return
    _add_test_job(facts, job_id, job, commands, where)


def _add_test_job(facts: WorkflowFacts, job_id: str, job: dict[str, Any], commands: list[str], where: str) -> None:
    new_id = job_id if IDENT_RE.fullmatch(job_id) else re.sub(r"[^A-Za-z0-9_-]", "-", job_id).lstrip("-0123456789") or "tests"
    if new_id in RESERVED_JOB_IDS:
        new_id = f"{new_id}-tests"
    if new_id != job_id:
        facts.not_carried.append(f"{where}: job id {job_id!r} is reserved or invalid in pipeline.toml; renamed to {new_id!r}")
    name = job.get("name")
    entry: dict[str, Any] = {
        "name": name if isinstance(name, str) and "${{" not in name and name.strip() else job_id,
        "commands": commands,
    }
    timeout = job.get("timeout-minutes")
    if isinstance(timeout, int) and not isinstance(timeout, bool) and 1 <= timeout <= 360:
        entry["timeout_minutes"] = timeout
    if isinstance(job.get("strategy"), dict) and "matrix" in job["strategy"]:
        facts.not_carried.append(f"{where}: the matrix (test jobs run once, on project.node_version)")
    facts.test_jobs[new_id] = entry
    services = job.get("services")
    if not isinstance(services, dict):
        services = {}
    for service in services.values():
        image = service.get("image") if isinstance(service, dict) else service
        if isinstance(image, str) and "postgres" in image:
            facts.database_jobs.append(new_id)
            _read_database(facts, service if isinstance(service, dict) else {}, job, where)
            break


def _read_database(facts: WorkflowFacts, service: dict[str, Any], job: dict[str, Any], where: str) -> None:
    if facts.database:
        return
    env = service.get("env")
    if not isinstance(env, dict):
        env = {}
    for key, name in (("POSTGRES_USER", "user"), ("POSTGRES_PASSWORD", "password"), ("POSTGRES_DB", "database")):
        value = env.get(key)
        if isinstance(value, str) and IDENT_RE.fullmatch(value):
            facts.database[name] = value
    for port in service.get("ports") or []:
        match = re.fullmatch(r"(\d+):5432", str(port))
        if match:
            facts.database["port"] = int(match.group(1))
    image = service.get("image")
    if isinstance(image, str) and "@sha256:" in image:
        facts.database["image"] = image
    elif isinstance(image, str):
        facts.not_carried.append(f"{where}: service image {image} is not pinned by digest; pipeline.toml keeps migpipe's pinned postgres image")
    job_env = job.get("env")
    if not isinstance(job_env, dict):
        job_env = {}
    for key, value in job_env.items():
        if isinstance(value, str) and value.startswith(("postgres://", "postgresql://")):
            facts.database["url_env"] = str(key)
            break


def _step_env(step: dict[str, Any], label: str, where: str, facts: WorkflowFacts) -> tuple[dict[str, str], list[str]]:
    env: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in (step.get("env") or {}).items() if isinstance(step.get("env"), dict) else []:
        key = str(key)
        text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        secret = _SECRET_ONLY_RE.fullmatch(text.strip())
        if secret and secret.group(1) == key:
            secrets.append(key)
        elif secret:
            # Exposed under its own name: pipeline.toml cannot rename a secret.
            secrets.append(secret.group(1))
            facts.not_carried.append(
                f"{where} step {label!r}: env {key} = secrets.{secret.group(1)}; the step now gets ${secret.group(1)} instead of ${key}"
            )
        elif "${{" in text:
            facts.not_carried.append(f"{where} step {label!r}: env {key} = {text.strip()} (an expression; set it another way)")
        else:
            env[key] = text
    return env, secrets


def _extra_run_step(label: str, command: str, secrets: list[str], step: dict[str, Any], where: str, facts: WorkflowFacts) -> dict[str, Any]:
    env, env_secrets = _step_env(step, label, where, facts)
    entry: dict[str, Any] = {"name": label, "run": command}
    if env:
        entry["env"] = env
    all_secrets = list(dict.fromkeys([*env_secrets, *secrets]))
    if all_secrets:
        entry["secrets"] = all_secrets
    return entry


def _extra_uses_step(label: str, step: dict[str, Any], where: str, facts: WorkflowFacts) -> dict[str, Any] | None:
    uses = _uses(step)
    entry: dict[str, Any] = {"name": label, "uses": uses}
    if not uses.startswith("./") and not re.search(r"@[0-9a-f]{40}$", uses):
        # pipeline.toml takes only actions pinned to a commit (a tag can be moved to other code).
        facts.not_carried.append(
            f"{where} step {label!r}: {uses} is not pinned to a commit SHA; add it to [[deploy.extra_steps]] "
            "as owner/repo@<40-hex commit SHA>"
        )
        return None
    with_values: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in (step.get("with") or {}).items() if isinstance(step.get("with"), dict) else []:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        secret = _SECRET_ONLY_RE.fullmatch(text.strip())
        if secret:
            secrets.append(secret.group(1))
            facts.not_carried.append(
                f"{where} step {label!r}: with.{key} = secrets.{secret.group(1)}; pipeline.toml cannot pass a secret as an input, so the step gets it as env ${secret.group(1)} instead"
            )
        elif "${{" in text:
            facts.not_carried.append(f"{where} step {label!r}: with.{key} = {text.strip()} (an expression; set it another way)")
        elif not IDENT_RE.fullmatch(str(key)) or "\n" in text:
            facts.not_carried.append(f"{where} step {label!r}: with.{key} (not a single-line value)")
        else:
            with_values[str(key)] = text
    if with_values:
        entry["with"] = with_values
    env, env_secrets = _step_env(step, label, where, facts)
    if env:
        entry["env"] = env
    all_secrets = list(dict.fromkeys([*env_secrets, *secrets]))
    if all_secrets:
        entry["secrets"] = all_secrets
    return entry


