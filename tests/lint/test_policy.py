"""The one table of kinds (migpipe.policy) is what the model, the schema, the example and the engine use."""
from __future__ import annotations

import pytest
import tomllib
from pydantic import ValidationError

from migpipe.lint.rules import RULES
from migpipe.policy import (
    DEFAULT_BLOCK,
    DEFAULT_WARN,
    KIND_NAMES,
    KINDS,
    SQUAWK_RULE_KINDS,
    actions,
)
from migpipe.schema import build_schema
from tests.conftest import EXAMPLE_CONFIG, REPO_ROOT

ENGINE_KINDS = {"unparseable", "exemption-without-reason"}  # found by the engine itself, not by a rule


def test_every_kind_is_found_by_exactly_one_source_and_has_a_safe_alternative() -> None:
    for name, kind in KINDS.items():
        sources = bool(kind.squawk_rules) + (name in RULES) + (name in ENGINE_KINDS)
        assert sources == 1, name
        assert kind.safe_alternative and kind.summary
    assert set(SQUAWK_RULE_KINDS.values()) | set(RULES) | ENGINE_KINDS == set(KINDS)


def test_new_data_destroying_kinds_block_by_default() -> None:
    for name in ("truncate", "delete-without-where", "drop-sequence", "drop-owned", "dynamic-sql", "timeout-change"):
        assert name in DEFAULT_BLOCK
    assert "update-without-where" in DEFAULT_WARN
    assert not set(DEFAULT_BLOCK) & set(DEFAULT_WARN)


def test_model_takes_its_kinds_and_defaults_from_the_table() -> None:
    from migpipe.config.tables import Guards

    guards = Guards()
    assert tuple(guards.block) == DEFAULT_BLOCK and tuple(guards.warn) == DEFAULT_WARN
    assert Guards(block=list(KIND_NAMES), warn=[]).block == list(KIND_NAMES)
    with pytest.raises(ValidationError, match="trunc"):
        Guards(block=["trunc"])


def test_schema_lists_every_kind() -> None:
    guards = build_schema()["definitions"]["Guards"]["properties"]
    for key in ("block", "warn"):
        assert guards[key]["items"]["enum"] == list(KIND_NAMES)


def test_example_spells_out_the_defaults() -> None:
    guards = tomllib.loads(EXAMPLE_CONFIG.read_text())["guards"]
    assert tuple(guards["block"]) == DEFAULT_BLOCK and tuple(guards["warn"]) == DEFAULT_WARN


def test_runbook_template_reads_the_table() -> None:
    template = (REPO_ROOT / "templates" / "docs" / "migrations-runbook.md.j2").read_text()
    assert "kinds[kind].safe_alternative" in template and "kinds[kind].summary" in template


def test_actions() -> None:
    assert actions(["truncate"], ["drop-table"]) == {
        "truncate": "block",
        "drop-table": "warn",
        "unparseable": "block",
        "exemption-without-reason": "block",
    }
    with pytest.raises(ValueError, match="nope"):
        actions(["nope"], [])
