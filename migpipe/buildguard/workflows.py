"""The team's own GitHub workflows: a step that migrates a real database outside migrate-prod.

A workflow step may run migrations for its tests against a service container
(``services: postgres:``, ``DATABASE_URL: postgresql://…@localhost:5432/…``):
that is the point of a test job. A step that migrates a database given by a
secret or a variable, or with no service container to migrate, applies
migrations to a real database outside migpipe's approved migrate-prod job,
and is reported. migpipe's own generated workflow keeps its migrate-prod job.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migpipe.buildguard import yamlfast
from migpipe.buildguard.scanner import GENERATED_MARK, Finding, Scanner, Step
from migpipe.buildguard.sources import read_text

MIGRATE_PROD_JOB = "migrate-prod"
# Variables that name the database a migration tool connects to.
_DATABASE_VARIABLE = re.compile(r"(DATABASE|DB|POSTGRES|PG|SQL)\w*(URL|URI|DSN|HOST|STRING)$|^PGHOST$", re.IGNORECASE)
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1")


@dataclass(frozen=True)
class _Target:
    safe: bool
    why: str


def workflow_files(root: Path) -> list[Path]:
    directory = root / ".github" / "workflows"
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())


def _env(mapping: Any) -> dict[str, str]:
    env = mapping.get("env") if isinstance(mapping, Mapping) else None
    return {str(k): str(v) for k, v in env.items()} if isinstance(env, Mapping) else {}


_STARTS_CONTAINERS = re.compile(r"\bdocker(-compose|\s+compose)\b.*\bup\b|\bdocker\s+run\b|\bsupabase\s+start\b")


def _target(env: dict[str, str], run: str, services: list[str], local_containers: bool) -> _Target:
    """Where the step's migrations go: a service container of the job, or a real database."""
    inline = dict(re.findall(r"\b(\w*(?:DATABASE|DB|PG|POSTGRES)\w*)=(\S+)", run))
    values = {**{k: v for k, v in env.items() if _DATABASE_VARIABLE.search(k)}, **inline}
    for name, value in values.items():
        if re.search(r"\$\{\{\s*(secrets|vars)\.", value):
            return _Target(False, f"{name} comes from {'secrets' if 'secrets.' in value else 'variables'}")
    if re.search(r"\$\{\{\s*secrets\.", run):
        return _Target(False, "the command line reads a secret")
    if not services and not local_containers:
        return _Target(False, "the job starts no database of its own (no services:, no docker compose up)")
    for name, value in values.items():
        hosts = re.findall(r"@([\w.-]+)|^([\w.-]+)$|//([\w.-]+)", value)
        host_names = {h for group in hosts for h in group if h}
        if host_names and not host_names & (set(_LOCAL_HOSTS) | set(services)):
            return _Target(False, f"{name} names {', '.join(sorted(host_names))}, not a service container")
    return _Target(True, "a service container of the job")


def _run_line(lines: list[str], step: Any) -> tuple[int, bool]:
    """(first line of the run: text, whether it is a block scalar)."""
    line = yamlfast.value_line(step, "run")
    source = lines[line - 1] if line - 1 < len(lines) else ""
    block = re.search(r"run:\s*[|>][-+0-9]*\s*$", source) is not None
    return (line + 1, True) if block else (line, False)


def check_workflows(scanner: Scanner, root: Path) -> list[Finding]:
    """Steps of .github/workflows/* that migrate a database other than a job's service container."""
    reported: list[Finding] = []
    for path in workflow_files(root):
        display = scanner.display(path)
        text = read_text(path, display)
        lines = text.splitlines()
        generated = GENERATED_MARK in "\n".join(lines[:3])
        try:
            data = yamlfast.load(text)
        except yamlfast.YAMLError:
            continue  # a broken workflow fails on GitHub itself; nothing it runs
        jobs = data.get("jobs") if isinstance(data, Mapping) else None
        if not isinstance(jobs, Mapping):
            continue
        workflow_env = _env(data)
        for job_id, job in jobs.items():
            if not isinstance(job, Mapping) or (generated and job_id == MIGRATE_PROD_JOB):
                continue
            services = [str(name) for name in (job.get("services") or {})] if isinstance(job.get("services"), Mapping) else []
            job_env = {**workflow_env, **_env(job)}
            steps = job.get("steps")
            local_containers = False  # an earlier step started the job's own database
            for index, step in enumerate(steps if isinstance(steps, list) else []):
                run = step.get("run") if isinstance(step, Mapping) else None
                if not isinstance(run, str):
                    continue
                if _STARTS_CONTAINERS.search(run):
                    local_containers = True
                before = len(scanner.findings)
                line, block = _run_line(lines, step)
                where = Step(display, line, f"jobs.{job_id}.steps[{index}]")
                workdir = step.get("working-directory") or (job.get("defaults") or {}).get("run", {}).get("working-directory")
                cwd = root / str(workdir) if isinstance(workdir, str) and "${{" not in workdir else root
                scanner.check_script(run, where, cwd, spans_lines=block)
                found = scanner.findings[before:]
                if not found:
                    continue
                del scanner.findings[before:]
                target = _target({**job_env, **_env(step)}, run, services, local_containers)
                if target.safe:
                    continue
                for finding in found:
                    chain = (f"{finding.chain[0]} ({target.why})", *finding.chain[1:])
                    reported.append(
                        Finding(finding.file, finding.line, finding.command, finding.label, chain, phase="CI")
                    )
    return reported
