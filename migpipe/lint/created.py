"""What a migration creates, so that dropping or renaming it later in the same migration is not destructive.

A table, column, index, sequence or function created (or renamed into
existence) by statement N counts as created for every statement after N.
Names without a schema are read as ``public`` (the default search_path): a
migration that creates ``other.t`` and drops ``t`` is still reported.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from migpipe.lint.parsed import Migration, Node, Statement, names, qualified, relation

Name = tuple[str, str]  # (schema, name)


@dataclass
class Created:
    """Objects created by the migration: key -> index of the statement that created it."""

    tables: dict[Name, int] = field(default_factory=dict)
    columns: dict[tuple[Name, str], int] = field(default_factory=dict)
    indexes: dict[Name, int] = field(default_factory=dict)
    sequences: dict[Name, int] = field(default_factory=dict)
    functions: dict[Name, int] = field(default_factory=dict)

    def table(self, name: Name, before: Statement) -> bool:
        return self.tables.get(name, before.index) < before.index

    def column(self, table: Name, column: str, before: Statement) -> bool:
        return self.table(table, before) or self.columns.get((table, column), before.index) < before.index

    def index(self, name: Name, before: Statement) -> bool:
        return self.indexes.get(name, before.index) < before.index

    def sequence(self, name: Name, before: Statement) -> bool:
        return self.sequences.get(name, before.index) < before.index

    def function(self, name: Name, before: Statement) -> bool:
        return self.functions.get(name, before.index) < before.index


def _column_names(elements: Iterable[object]) -> Iterable[str]:
    for element in elements:
        if isinstance(element, dict) and "ColumnDef" in element:
            yield element["ColumnDef"].get("colname", "")


def created_objects(migration: Migration) -> Created:
    created = Created()
    for statement in migration.statements:
        _record(created, statement.type, statement.node, statement.index)
    return created


def _record(created: Created, kind: str, node: Node, index: int) -> None:
    if kind == "CreateStmt":
        table = relation(node.get("relation"))
        created.tables.setdefault(table, index)
        for column in _column_names(node.get("tableElts", ())):
            created.columns.setdefault((table, column), index)
    elif kind == "CreateTableAsStmt":
        into = node.get("into", {}).get("rel")
        created.tables.setdefault(relation(into), index)
    elif kind == "AlterTableStmt":
        table = relation(node.get("relation"))
        for command in node.get("cmds", ()):
            cmd = command.get("AlterTableCmd", {})
            if cmd.get("subtype") == "AT_AddColumn":
                column = cmd.get("def", {}).get("ColumnDef", {}).get("colname", "")
                created.columns.setdefault((table, column), index)
    elif kind == "IndexStmt" and node.get("idxname"):
        schema = relation(node.get("relation"))[0]
        created.indexes.setdefault((schema, node["idxname"]), index)
    elif kind == "CreateSeqStmt":
        created.sequences.setdefault(relation(node.get("sequence")), index)
    elif kind == "CreateFunctionStmt":
        created.functions.setdefault(qualified(names(node.get("funcname", []))), index)
    elif kind == "RenameStmt":
        _record_rename(created, node, index)


def _record_rename(created: Created, node: Node, index: int) -> None:
    """A created object renamed is still created; under its new name from here on."""
    old = relation(node.get("relation"))
    new_name = node.get("newname", "")
    rename_type = node.get("renameType")
    if rename_type == "OBJECT_TABLE" and old in created.tables:
        new = (old[0], new_name)
        created.tables.setdefault(new, index)
        for (table, column), at in list(created.columns.items()):
            if table == old:
                created.columns.setdefault((new, column), at)
    elif rename_type == "OBJECT_COLUMN" and (old in created.tables or (old, node.get("subname", "")) in created.columns):
        created.columns.setdefault((old, new_name), index)
    elif rename_type == "OBJECT_INDEX" and old in created.indexes:
        created.indexes.setdefault((old[0], new_name), index)
    elif rename_type == "OBJECT_SEQUENCE" and old in created.sequences:
        created.sequences.setdefault((old[0], new_name), index)


def dropped_all_created(created: Created, statement: Statement, kind: str) -> bool:
    """True when every object ``statement`` drops or renames as ``kind`` was created before it.

    Kinds: drop-table, drop-index, drop-sequence, drop-column, rename-table,
    rename-column, set-schema. Any other kind: False (the finding stands).
    """
    node = statement.node
    if statement.type == "DropStmt":
        check = {
            "drop-table": ("OBJECT_TABLE", created.table),
            "drop-index": ("OBJECT_INDEX", created.index),
            "drop-sequence": ("OBJECT_SEQUENCE", created.sequence),
        }.get(kind)
        if check is None or node.get("removeType") != check[0]:
            return False
        objects = [qualified(names(obj)) for obj in node.get("objects", ())]
        return bool(objects) and all(check[1](name, statement) for name in objects)
    if statement.type == "AlterTableStmt" and kind == "drop-column":
        table = relation(node.get("relation"))
        dropped = [
            cmd["AlterTableCmd"].get("name", "")
            for cmd in node.get("cmds", ())
            if cmd.get("AlterTableCmd", {}).get("subtype") == "AT_DropColumn"
        ]
        return bool(dropped) and all(created.column(table, column, statement) for column in dropped)
    if statement.type == "RenameStmt":
        table = relation(node.get("relation"))
        if kind == "rename-table" and node.get("renameType") == "OBJECT_TABLE":
            return created.table(table, statement)
        if kind == "rename-column" and node.get("renameType") == "OBJECT_COLUMN":
            return created.column(table, node.get("subname", ""), statement)
    if statement.type == "AlterObjectSchemaStmt" and kind == "set-schema":
        target = relation(node.get("relation"))
        object_type = node.get("objectType")
        if object_type == "OBJECT_TABLE":
            return created.table(target, statement)
        if object_type == "OBJECT_SEQUENCE":
            return created.sequence(target, statement)
    return False
