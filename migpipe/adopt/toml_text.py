"""An Adoption written as pipeline.toml: commented, in the order of pipeline.example.toml."""
from __future__ import annotations

import json
import re
from typing import Any

from migpipe.adopt.detect import Adoption
from migpipe.config.tables import Approval, Backup, Guards
from migpipe.toml_write import table

_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_COMMENT_COLUMN = 40



def toml_string(value: str) -> str:
    # JSON string escapes are TOML basic-string escapes; DEL must be escaped too.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_key(key: str) -> str:
    return key if _BARE_KEY_RE.fullmatch(key) else toml_string(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _line(key: str, value: Any, comment: str | None) -> str:
    text = f"{toml_key(key)} = {toml_value(value)}"
    if comment:
        text = text.ljust(_COMMENT_COLUMN - 1) + f" # {comment}"
    return text + "\n"


def _policy_sections() -> str:
    """The policy itself: nothing in a repository states it, so it is written
    with migpipe's defaults (read from the model's tables) and a word on what each means."""
    guards, approval, backup = Guards.model_fields, Approval.model_fields, Backup.model_fields
    return (
        "[guards]\n"
        "# Destructive changes (drop-table, drop-column, ...) stop migrate-prod; see\n"
        "# `migpipe schema` for block / warn and every other key.\n"
        + _line("lock_timeout", guards["lock_timeout"].default, "a migration waiting on a busy table fails fast")
        + _line("statement_timeout", guards["statement_timeout"].default, None)
        + "\n[approval]\n"
        + _line("environment", approval["environment"].default, "give it required reviewers in GitHub's settings")
        + _line("database_url_secret", approval["database_url_secret"].default, None)
        + "\n[backup]\n"
        + _line("mode", backup["mode"].default, "pg_dump before applying; nothing is applied if it fails")
    )


_NESTED_ABOVE = 100  # a table longer than this on one line is written as a table of its own


def _nested(value: Any) -> bool:
    tables = isinstance(value, dict) or (isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value))
    return tables and len(toml_value(value)) > _NESTED_ABOVE


def _table(adoption: Adoption, section: str, skip: tuple[str, ...] = (), tail: str = "") -> str:
    """``[section]`` with its values, each commented with its source; ``tail`` after the plain keys.

    A long table (vercel.json's functions, render.yaml's other services) is
    written as tables of its own below, so each line reads on its own.
    """
    values = adoption.values.get(section, {})
    out = f"\n[{section}]\n"
    later = ""
    for key, value in values.items():
        if key in skip:
            continue
        source = adoption.sources.get(f"{section}.{key}")
        if _nested(value):
            path = f"{section}.{toml_key(key)}"
            later += f"\n# {section}.{key}: {' '.join((source or '').split())}\n"
            if isinstance(value, dict):
                later += table(path, value)
            else:
                later += "\n".join(table(path, element, "[[]]") for element in value)
            continue
        out += _line(key, value, source)
    return out + tail + later


def _report(adoption: Adoption) -> str:
    """What init changed, removed, could not detect or could not carry, as comments: nothing is dropped silently."""
    sections = (
        ("Removed (migrations the host ran)", adoption.removed),
        ("Changed (the documented changes to the team's files)", adoption.changed),
        ("Not detected (defaults written; check them)", adoption.not_detected),
        ("Not carried (left as it is, or to do by hand)", adoption.not_carried),
        ("Carried as written, worth a look", adoption.findings),
    )
    out = ""
    for title, lines in sections:
        if lines:
            out += f"#\n# {title}:\n" + "".join(f"#   - {' '.join(line.split())}\n" for line in lines)
    return out


def render_pipeline_toml(adoption: Adoption, schema_url: str) -> str:
    name = adoption.values["project"]["name"]
    out = f"#:schema {schema_url}\n"
    out += (
        f"# pipeline.toml: the database-migration policy of {name}.\n"
        "# Written by `migpipe init` from what the repository already had; the comment\n"
        "# after each value says where it came from (\"not detected\": check it).\n"
        "# migpipe compiles this file into the CI workflow, the guard scripts, the host's\n"
        "# config and the runbook. Edit it, then run `migpipe generate`; CI runs `migpipe verify`.\n"
    )
    out += _report(adoption)
    out += "\nversion = 1\n"
    out += _table(adoption, "project")
    out += _table(adoption, "tool")
    auto_deploy = (
        "auto_deploy = false".ljust(_COMMENT_COLUMN - 1) + " # always false: only the deploy job deploys\n"
        if adoption.values.get("host", {}).get("name") == "render"
        else ""
    )
    out += _table(adoption, "host", tail=auto_deploy)
    out += _table(adoption, "ci", skip=("test_jobs", "triggers", "team_jobs"))
    ci = adoption.values.get("ci", {})
    if "test_jobs" in ci and not ci["test_jobs"]:
        out += _line("test_jobs", {}, adoption.sources.get("ci.test_jobs"))
    if ci.get("triggers"):
        out += (
            f"\n# The team's triggers ({adoption.sources.get('ci.triggers')}), as they wrote them; generate\n"
            "# adds what the policy needs and they lack (push to the main branch, pull_request and\n"
            "# merge_group for the review, the dispatch gate's workflow_dispatch).\n"
        )
        out += table("ci.triggers", ci["triggers"])
    if ci.get("team_jobs"):
        out += (
            f"\n# The team's jobs ({adoption.sources.get('ci.team_jobs')}), as they wrote them; the\n"
            "# generated workflow writes them back. migpipe's only changes: a step\n"
            "# { migpipe = \"test-database\" } builds the test database with the real\n"
            "# migrations, and each job in ci.team_deploy_jobs needs migrate-prod.\n"
        )
        for job_id, job in ci["team_jobs"].items():
            out += "\n" + table(f"ci.team_jobs.{toml_key(job_id)}", job)
    if ci.get("test_jobs") and adoption.sources.get("ci.test_jobs"):
        out += f"\n# Test jobs: {adoption.sources['ci.test_jobs']}. migrate-prod needs every one.\n"
    for job_id, job in ci.get("test_jobs", {}).items():
        out += f"[ci.test_jobs.{toml_key(job_id)}]\n"
        for key, value in job.items():
            out += _line(key, value, None)
        out += "\n"
    out += _table(adoption, "test_database").lstrip("\n")
    out += "\n" + _policy_sections()
    deploy = adoption.values.get("deploy", {})
    out += _table(adoption, "deploy", skip=("extra_steps",))
    if deploy.get("extra_steps"):
        out += "\n# The team's own deploy steps, kept as they were; they run after Render's.\n"
    for step in deploy.get("extra_steps", []):
        out += "[[deploy.extra_steps]]\n"
        for key, value in step.items():
            out += _line(key, value, None)
        out += "\n"
    if "outputs" in adoption.values:
        out += _table(adoption, "outputs")
    return out.rstrip("\n") + "\n"
