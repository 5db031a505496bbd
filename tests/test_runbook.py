"""The runbook escapes every value it puts into Markdown.

Two checks: the template itself (every ``{{ }}`` that is not a literal ends
in an escaping filter, or in ``migpipe_text`` for migpipe's own prose), and
the rendered runbook of a pipeline.toml whose names are Markdown and HTML.
"""
from __future__ import annotations

import copy
import re
import sys

from jinja2 import nodes

from migpipe.compiler import _environment, compile_pipeline
from migpipe.pipeline import Pipeline
from tests.conftest import EXAMPLE_CONFIG

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RUNBOOK = "docs/migrations-runbook.md.j2"
# Filters that make a value safe where it stands: Markdown text, inline code,
# a shell word (in the runbook's sh blocks), a Mermaid label or node id; and
# migpipe_text, which marks migpipe's own Markdown (profiles, policy).
ESCAPING = {"md_text", "md_code", "sh_quote", "mermaid_text", "mermaid_id", "migpipe_text"}


def _literal(node: nodes.Node) -> bool:
    if isinstance(node, nodes.Const):
        return True
    if isinstance(node, nodes.CondExpr):
        return _literal(node.expr1) and (node.expr2 is None or _literal(node.expr2))
    return False


def unescaped_outputs(source: str) -> list[str]:
    """Every ``{{ }}`` of ``source`` whose value is neither a literal nor escaped."""
    tree = _environment().parse(source)
    found = []
    for output in tree.find_all(nodes.Output):
        for node in output.nodes:
            if isinstance(node, nodes.TemplateData) or _literal(node):
                continue
            if isinstance(node, nodes.Filter) and node.name in ESCAPING:
                continue
            found.append(f"line {node.lineno}: {type(node).__name__}")
    return found


def test_every_value_in_the_runbook_template_is_escaped() -> None:
    environment = _environment()
    assert environment.loader is not None
    source, _, _ = environment.loader.get_source(environment, RUNBOOK)
    assert unescaped_outputs(source) == []


def test_the_template_check_finds_a_raw_value() -> None:
    assert unescaped_outputs("# {{ p.project.name }}\n{{ 'x' if a else 'y' }}\n{{ p.x | md_text }}\n") == ["line 1: Getattr"]
    assert unescaped_outputs("{{ p.x | replace('-', '_') }}") == ["line 1: Filter"]


def test_markdown_and_html_in_names_stay_text() -> None:
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    hostile = copy.deepcopy(data)
    name = "Acme <img src=x onerror=alert(1)> *[click](javascript:alert(1))* # x | y _z_"
    hostile["project"]["name"] = name
    pipeline = Pipeline.model_validate(hostile, strict=True)
    runbook = next(file.content for file in compile_pipeline(pipeline) if file.kind == "runbook")
    assert "<img" not in runbook
    assert not re.search(r"(?<!\\)\]\(javascript:", runbook), "a link Markdown would render"
    assert (
        "# Database migrations runbook: Acme &lt;img src=x onerror=alert(1)&gt; "
        "\\*\\[click\\](javascript:alert(1))\\* # x \\| y \\_z\\_\n"
    ) in runbook
