"""Compile a validated Pipeline into the text of every generated file.

Nothing here touches the disk beyond reading templates: the result is a list
of ``GeneratedFile`` that ``outputs`` writes and ``verify`` compares.
Rendering is a pure function of the model, so the same pipeline.toml gives
byte-identical files on any machine.
"""
from __future__ import annotations

import json
import re
import shlex
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from migpipe import __version__
from migpipe.config.tables import INSTALL_COMMANDS, PYTHON_INSTALL_COMMAND
from migpipe.manifest import MANIFEST_PATH, manifest_text
from migpipe.markers import with_header
from migpipe.pins import ACTIONS, action_ref
from migpipe.pipeline import Pipeline
from migpipe.policy import KINDS, rules_for
from migpipe.resources import templates_dir
from migpipe.runtime.tools import tool_runtime
from migpipe.team_jobs import jobs_migrate_prod_needs, team_jobs_yaml, triggers_yaml

if TYPE_CHECKING:
    from jinja2 import Environment


@dataclass(frozen=True)
class GeneratedFile:
    kind: str  # workflow / build_guard / migrate_script / host_config / runbook / manifest
    path: str  # relative to the repository root, POSIX
    content: str
    executable: bool


@dataclass(frozen=True)
class _OutputSpec:
    kind: str
    template: str
    comment: str  # "#" or "<!--"; "" for a format without comments (no header)
    executable: bool = False


def _output_specs(host_template: str, host_comment: str) -> list[_OutputSpec]:
    return [
        _OutputSpec("workflow", "github/ci-cd.yml.j2", "#"),
        _OutputSpec("build_guard", "scripts/check-no-migrate-in-build.sh.j2", "#", executable=True),
        _OutputSpec("migrate_script", "scripts/migrate-with-guards.sh.j2", "#", executable=True),
        _OutputSpec("host_config", host_template, host_comment),
        _OutputSpec("runbook", "docs/migrations-runbook.md.j2", "<!--"),
    ]


# --------------------------------------------------------------------------
# Filters: the only ways a config value enters YAML, shell or Markdown.

# Plain (unquoted) scalars only for text that cannot be misread: no leading
# indicator, digit or dot (numbers, .inf, 0x1F), no ": " or " #", no trailing ":" or space. Anything else is
# double-quoted with escapes.
_PLAIN_YAML_RE = re.compile(r"[A-Za-z_/$(][A-Za-z0-9 _./@+=,()&:;$\"'<>*%!{}\[\]-]*")
_YAML11_SPECIAL_RE = re.compile(
    r"y|n|yes|no|on|off|true|false|null|~|[-+]?[0-9][0-9_.:eE+-]*|\.inf|\.nan", re.IGNORECASE
)


def _yaml_escape_char(char: str) -> str:
    code = ord(char)
    if char == '"':
        return '\\"'
    if char == "\\":
        return "\\\\"
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or code == 0x85:
        if code <= 0xFF:
            return f"\\x{code:02x}"
        if code <= 0xFFFF:
            return f"\\u{code:04x}"
        return f"\\U{code:08x}"
    return char


def yaml_str(value: Any) -> str:
    """A YAML scalar that parses back to exactly ``str(value)`` (YAML 1.1 and 1.2)."""
    text = str(value)
    if (
        _PLAIN_YAML_RE.fullmatch(text)
        and not _YAML11_SPECIAL_RE.fullmatch(text)
        and not text.endswith((" ", ":"))
        and " #" not in text
        and ": " not in text
    ):
        return text
    return '"' + "".join(_yaml_escape_char(c) for c in text) + '"'


def yaml_run(lines: list[str] | str, indent: int) -> str:
    """A ``run:`` value as a literal block scalar, one command per line."""
    if isinstance(lines, str):
        lines = [lines]
    text = "\n".join(lines)
    # One line, or text a literal block would misread (leading white space
    # decides a block's indentation): a quoted scalar.
    if "\n" not in text or text[:1].isspace():
        return yaml_str(text)
    pad = " " * indent
    return "|\n" + "\n".join(pad + line if line else "" for line in text.split("\n"))


def sh_quote(value: Any) -> str:
    return shlex.quote(str(value))


def md_code(value: Any) -> str:
    """Inline Markdown code that shows ``value`` verbatim, whatever it holds."""
    text = str(value)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# What can start inline Markdown inside a line of text (emphasis, code, a link
# or image, a table cell, strikethrough), escaped with a backslash; HTML as entities.
_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]|~])")


def md_text(value: Any) -> str:
    """``value`` as plain Markdown text: no emphasis, link, code, heading or HTML it could start."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL_RE.sub(r"\\\1", text)


def mermaid_text(value: Any) -> str:
    """``value`` inside a quoted Mermaid label: quotes and markup as Mermaid's entity codes."""
    text = str(value)
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("&", "#amp;")):
        text = text.replace(char, code)
    return text


def mermaid_id(value: Any) -> str:
    """A Mermaid node id made of a job id (letters, digits, '-', '_'): '-' becomes '_'."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", str(value))
    return text


def migpipe_text(value: Any) -> str:
    """migpipe's own Markdown (a profile's or the policy's prose), written as it is.

    It marks, in a template, text that comes from migpipe's code rather than
    from pipeline.toml: tests/test_runbook.py checks that every other value
    goes through an escaping filter.
    """
    return str(value)


def toml_str(value: Any) -> str:
    """A TOML basic string that parses back to exactly ``str(value)``."""
    # JSON's escapes are TOML's; ensure_ascii=False keeps astral characters
    # whole (TOML has no surrogate-pair escapes). Config values hold no
    # control characters (the model refuses them), so none need escaping.
    return json.dumps(str(value), ensure_ascii=False)


# How the templates are read; a template compiled under other options is
# other code, so these name the compiled-template cache (migpipe.template_cache).
_TEMPLATE_OPTIONS: dict[str, object] = {
    "keep_trailing_newline": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "autoescape": False,
    # Bash uses "{#" (${#array[@]}), so template comments are {## ... ##}.
    "comment_start_string": "{##",
    "comment_end_string": "##}",
}


def _tojson_sorted(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


_FILTERS = {
    "yaml_str": yaml_str,
    "yaml_run": yaml_run,
    "sh_quote": sh_quote,
    "md_code": md_code,
    "md_text": md_text,
    "mermaid_text": mermaid_text,
    "mermaid_id": mermaid_id,
    "migpipe_text": migpipe_text,
    "toml_str": toml_str,
    "tojson_sorted": _tojson_sorted,
}


def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from migpipe.template_cache import bytecode_cache

    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        undefined=StrictUndefined,
        bytecode_cache=bytecode_cache(_TEMPLATE_OPTIONS, list(_FILTERS)),
        **_TEMPLATE_OPTIONS,  # type: ignore[arg-type]
    )
    env.filters.update(_FILTERS)
    return env


# --------------------------------------------------------------------------


def _install_command(pipeline: Pipeline, runtime: str) -> str:
    if pipeline.ci.install_command:
        return pipeline.ci.install_command
    if runtime == "python":
        return PYTHON_INSTALL_COMMAND
    return INSTALL_COMMANDS[pipeline.project.package_manager]


def _up_to_root(path: str) -> str:
    depth = path.count("/")
    return "/".join([".."] * depth) if depth else "."


def _url_parts(pipeline: Pipeline, database: str) -> dict[str, str]:
    """test_database.url_part_envs with the values of a service database of the test jobs."""
    test = pipeline.test_database
    values = {"host": "localhost", "port": str(test.port), "user": test.user, "password": test.password, "database": database}
    return {name: values[part] for name, part in test.url_part_envs.items()}


def build_context(pipeline: Pipeline) -> dict[str, Any]:
    tool = pipeline.tool_profile()
    host = pipeline.host_profile()
    outputs = pipeline.outputs
    rules = rules_for(pipeline.guards.block, pipeline.guards.warn)
    return {
        "p": pipeline,
        "tool": tool,
        "host": host,
        "digest": pipeline.digest,
        "version": __version__,
        "install_command": _install_command(pipeline, tool.runtime),
        "migpipe_requirement": pipeline.ci.migpipe_requirement or f"migpipe=={__version__}",
        "actions": {name: action_ref(name) for name in ACTIONS},
        "policy_rules": rules,
        "kinds": KINDS,
        "policy_lines": "\n".join(f"{r.squawk_rule} {r.action} {r.kind}" for r in rules),
        "test_jobs_with_db": set(pipeline.test_database.jobs),
        "team_jobs_yaml": team_jobs_yaml(pipeline, tool),
        "extras": pipeline.host.template_extras(pipeline.project.working_directory),
        "team_jobs_needed": jobs_migrate_prod_needs(pipeline),
        "triggers_yaml": triggers_yaml(pipeline),
        "test_database_url": (
            f"postgresql://{pipeline.test_database.user}:{pipeline.test_database.password}"
            f"@localhost:{pipeline.test_database.port}/{pipeline.test_database.database}"
            f"{tool.test_database_url_query and '?' + tool.test_database_url_query}"
        ),
        # The review job's throwaway database for the schema-drift check.
        "shadow_database_url": (
            f"postgresql://{pipeline.test_database.user}:{pipeline.test_database.password}"
            f"@localhost:{pipeline.test_database.port}/shadow"
            f"{tool.test_database_url_query and '?' + tool.test_database_url_query}"
        ),
        # The test and shadow databases' parts, for a tool that reads them one by one.
        "test_database_parts": _url_parts(pipeline, pipeline.test_database.database),
        "shadow_database_parts": _url_parts(pipeline, "shadow"),
        "guard_to_root": _up_to_root(outputs.build_guard),
        "migrate_to_root": _up_to_root(outputs.migrate_script),
        # What `migpipe migrate` runs besides itself: the wrapper checks them
        # first (exit 3), and the workflow's step-order check reads them there.
        "migrate_needs": [
            "squawk",
            *tool_runtime(pipeline).required_programs(pipeline),
            *(["pg_dump", "pg_restore"] if pipeline.backup.mode == "dump" else []),
        ],
    }


def compile_pipeline(pipeline: Pipeline) -> list[GeneratedFile]:
    env = _environment()
    context = build_context(pipeline)
    host = context["host"]
    paths = pipeline.output_paths()
    files = []
    headerless = []
    for spec in _output_specs(host.config_template, host.config_comment):
        body = env.get_template(spec.template).render(context)
        body = body.rstrip("\n") + "\n"
        if not spec.comment:
            headerless.append(paths[spec.kind])
        files.append(
            GeneratedFile(
                kind=spec.kind,
                path=paths[spec.kind],
                content=with_header(body, context["digest"], spec.comment) if spec.comment else body,
                executable=spec.executable,
            )
        )
    # Last, and itself compared by verify: the files migpipe owns (and which
    # of them cannot say so themselves).
    contents = {file.path: file.content for file in files}
    files.append(
        GeneratedFile("manifest", MANIFEST_PATH, manifest_text(contents, context["digest"], headerless), executable=False)
    )
    return files
