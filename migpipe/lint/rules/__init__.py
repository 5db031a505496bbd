"""migpipe's own rules, one per module; each finds one kind of ``migpipe.policy.KINDS``."""
from __future__ import annotations

from migpipe.lint.rules.base import Hit, Rule
from migpipe.lint.rules.delete_without_where import DeleteWithoutWhere
from migpipe.lint.rules.drop_owned import DropOwned
from migpipe.lint.rules.drop_sequence import DropSequence
from migpipe.lint.rules.dynamic_sql import DynamicSql
from migpipe.lint.rules.set_schema import SetSchema
from migpipe.lint.rules.timeout_change import TimeoutChange
from migpipe.lint.rules.truncate import Truncate
from migpipe.lint.rules.update_without_where import UpdateWithoutWhere

RULES: dict[str, Rule] = {
    rule.kind: rule
    for rule in (
        Truncate(),
        DeleteWithoutWhere(),
        UpdateWithoutWhere(),
        DynamicSql(),
        DropSequence(),
        DropOwned(),
        SetSchema(),
        TimeoutChange(),
    )
}

__all__ = ["RULES", "Hit", "Rule"]
