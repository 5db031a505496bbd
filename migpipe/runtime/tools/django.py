"""Django's runtime part.

Which migrations are pending, and in what order, comes from Django
(``manage.py showmigrations --plan``, which reads django_migrations); the
SQL of each is what ``manage.py sqlmigrate APP NAME`` prints. Django records
a migration only once it succeeded.

For the review of a pull request, ``ordering_conflicts`` reads each app's
migration graph from the files themselves (ast, nothing imported) and says
what the migrations a branch adds do to the base branch's graph.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from migpipe.runtime.processes import Command
from migpipe.runtime.tools.base import (
    BaseTool,
    History,
    MigrationFile,
    OrderConflict,
    PendingSql,
    RunContext,
    TimeoutsVia,
    ToolError,
)

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline


class Django(BaseTool):
    name = "django"
    label = "Django"
    history_table = "django_migrations"
    # Django connects through psycopg: libpq reads PGOPTIONS.
    timeouts_via: TimeoutsVia = "pgoptions"

    def history_sql(self, table: str) -> tuple[str | None, str | None]:
        return None, None

    def _manage(self, context: RunContext, *args: str) -> tuple[str, ...]:
        tool = context.tool
        settings = (f"--settings={tool.settings_module}",) if tool.settings_module else ()
        return ("python3", tool.manage_py, *args, *settings)

    def pending(self, context: RunContext, history: History) -> list[str]:
        result = context.run(Command(self._manage(context, "showmigrations", "--plan"),
                                     {context.url_env: context.url.tool_url()}))
        if result.returncode != 0:
            raise ToolError(result.last_lines())
        # "[X]  app.name" when applied, "[ ]  app.name" when not.
        return [line[3:].strip() for line in result.stdout.splitlines() if line.startswith("[ ]")]

    def pending_sql(self, context: RunContext, name: str) -> PendingSql:
        app, _, migration = name.partition(".")
        result = context.run(Command(self._manage(context, "sqlmigrate", app, migration),
                                     {context.url_env: context.url.tool_url()}))
        if result.returncode != 0:
            raise ToolError(result.last_lines())
        return PendingSql(name, name, result.stdout, generated=True)

    def apply_command(self, context: RunContext, tool_url: str) -> Command:
        return Command(self._manage(context, "migrate", "--noinput"), {context.url_env: tool_url})

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        return ("python3",)


def build(pipeline: Pipeline) -> Django:
    return Django()


# ---- ordering: each app's migration graph, read from the files ----------------
#
# Django orders an app's migrations by each Migration's ``dependencies``, not
# by their numbers. A branch that adds a migration depending on an older one
# than the app's latest on the base branch gives the app two leaf nodes once
# merged; ``manage.py migrate`` then stops ("Conflicting migrations detected;
# multiple leaf nodes in the migration graph"). The review reads
# ``dependencies`` and ``replaces`` of each file's ``class Migration`` with ast
# (the project is never imported) and finds each app's leaves.

_DJANGO_FILE = re.compile(r"(?:.*/)?([A-Za-z0-9_]+)/migrations/([A-Za-z0-9_]+)\.py")
# Dependency names Django resolves itself, not migration names.
_SPECIAL = frozenset({"__first__", "__latest__"})


@dataclass(frozen=True)
class MigrationNode:
    app: str  # the app's label: its AppConfig's ``label``, else the folder's name
    name: str
    dependencies: tuple[tuple[str, str], ...]  # the (app, name) pairs written as literals
    replaces: tuple[tuple[str, str], ...]
    path: str
    line: int  # of the dependencies assignment (1 when there is none)


def _pairs(node: ast.expr | None) -> tuple[tuple[str, str], ...]:
    """The literal (app, name) pairs of a list; anything else (swappable_dependency(...)) is skipped."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return ()
    pairs = []
    for item in node.elts:
        try:
            value = ast.literal_eval(item)
        except ValueError:
            continue
        if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, str) for v in value):
            pairs.append((str(value[0]), str(value[1])))
    return tuple(pairs)


def read_migration(file: MigrationFile) -> MigrationNode | str | None:
    """A migration file's node; None when the path or file is not a migration
    (no ``class Migration``); a sentence when it cannot be read."""
    match = _DJANGO_FILE.fullmatch(file.path)
    if not match or match.group(2) == "__init__":
        return None
    try:
        tree = ast.parse(file.text, filename=file.path)
    except SyntaxError as error:
        return f"it is not valid Python (line {error.lineno}: {error.msg})"
    migration = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Migration"), None)
    if migration is None:
        return None
    found: dict[str, tuple[int, ast.expr]] = {}
    for node in migration.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = (node.lineno, node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            found[node.target.id] = (node.lineno, node.value)
    line, dependencies = found.get("dependencies", (1, None))
    return MigrationNode(
        match.group(1), match.group(2), _pairs(dependencies), _pairs(found.get("replaces", (1, None))[1]), file.path, line
    )


def _app_folder(path: str) -> str:
    return path.rsplit("/migrations/", 1)[0] if "/migrations/" in path else ""


def order_inputs(paths: Sequence[str]) -> list[str]:
    """Each app's apps.py: its AppConfig may give the app another label than its folder's name."""
    return sorted({f"{folder}/apps.py" if folder else "apps.py" for folder in map(_app_folder, paths)})


def app_label(file: MigrationFile) -> str | None:
    """The ``label = "…"`` an AppConfig class in apps.py sets, if one does."""
    try:
        tree = ast.parse(file.text, filename=file.path)
    except SyntaxError:
        return None
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if (isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name)
                    and item.targets[0].id == "label" and isinstance(item.value, ast.Constant)
                    and isinstance(item.value.value, str)):
                return item.value.value
    return None


def _nodes(files: Sequence[MigrationFile], labels: Mapping[str, str]) -> tuple[list[MigrationNode], list[tuple[MigrationFile, str]]]:
    """The migrations among ``files``, under their apps' labels; and the files that could not be read."""
    nodes, unreadable = [], []
    for file in files:
        read = read_migration(file)
        if isinstance(read, str):
            unreadable.append((file, read))
        elif read is not None:
            label = labels.get(_app_folder(file.path))
            nodes.append(dataclasses.replace(read, app=label) if label else read)
    return nodes, unreadable


def _labels(files: Sequence[MigrationFile]) -> dict[str, str]:
    """App folder -> label, from the apps.py files among ``files``."""
    found = {}
    for file in files:
        if file.path == "apps.py" or file.path.endswith("/apps.py"):
            label = app_label(file)
            if label:
                found[file.path[: -len("apps.py")].rstrip("/")] = label
    return found


def _app_graphs(nodes: Sequence[MigrationNode]) -> dict[str, dict[str, set[str]]]:
    """Per app: each migration's parents in the same app, squashed migrations
    standing in for the ones they replace (as Django's loader does when the
    replaced ones are all applied or none is)."""
    by_app: dict[str, dict[str, MigrationNode]] = {}
    for node in nodes:
        by_app.setdefault(node.app, {})[node.name] = node
    graphs: dict[str, dict[str, set[str]]] = {}
    for app, members in by_app.items():
        replaced_by = {name: squash.name for squash in members.values() for a, name in squash.replaces if a == app}
        graph: dict[str, set[str]] = {}
        for name, node in members.items():
            if name in replaced_by:
                continue
            parents = set()
            for dep_app, dep_name in node.dependencies:
                if dep_app == app and dep_name not in _SPECIAL:
                    parents.add(replaced_by.get(dep_name, dep_name))
            graph[name] = parents - {name}
        graphs[app] = graph
    return graphs


def _leaves(graph: Mapping[str, set[str]]) -> set[str]:
    parents = {parent for members in graph.values() for parent in members}
    return set(graph) - parents


def ordering_conflicts(base: Sequence[MigrationFile], added: Sequence[MigrationFile]) -> list[OrderConflict]:
    """What the migrations ``added`` do to each app's graph on the base branch:
    a second leaf node, a dependency on a migration that does not exist."""
    base_nodes, _ = _nodes(base, _labels(base))
    new_nodes, unreadable = _nodes(added, {**_labels(base), **_labels(added)})
    conflicts = [
        OrderConflict(
            file.path, 1, f"cannot read the migration's dependencies from {file.path}: {why}",
            "write `class Migration(migrations.Migration)` with a literal `dependencies` list, as makemigrations does",
        )
        for file, why in unreadable
    ]
    base_graphs = _app_graphs(base_nodes)
    graphs = _app_graphs([*base_nodes, *new_nodes])
    names = {app: set(graph) for app, graph in graphs.items()}
    replaced = {(app, name) for node in [*base_nodes, *new_nodes] for app, name in node.replaces}
    for node in new_nodes:
        for dep_app, dep_name in node.dependencies:
            if dep_app in names and dep_name not in _SPECIAL and dep_name not in names[dep_app] \
                    and (dep_app, dep_name) not in replaced:
                conflicts.append(OrderConflict(
                    node.path, node.line,
                    f"migration {node.app}.{node.name} depends on ('{dep_app}', '{dep_name}'), which is neither on "
                    "the base branch nor in this change: Django stops with NodeNotFoundError",
                    f"depend on a migration that exists; the latest of {dep_app} on the base branch is "
                    + (", ".join(sorted(_leaves(base_graphs.get(dep_app, {})))) or "none"),
                ))
    added_names = {(node.app, node.name) for node in new_nodes}
    for app in sorted({node.app for node in new_nodes}):
        leaves = _leaves(graphs[app])
        ours = sorted(name for name in leaves if (app, name) in added_names)
        if len(leaves) <= 1 or not ours:
            continue
        theirs = sorted(leaves - set(ours))
        base_leaves = sorted(_leaves(base_graphs.get(app, {})))
        described = ", ".join([*(f"{n} (this change)" for n in ours), *(f"{n} (base branch)" for n in theirs)])
        node = next(n for n in new_nodes if n.app == app and n.name == ours[0])
        latest = base_leaves[0] if len(base_leaves) == 1 else None
        rebase = (f"make {node.name} depend on ('{app}', '{latest}') and renumber it to follow it" if latest
                  else f"make {node.name} depend on the app's latest migration and renumber it to follow it")
        conflicts.append(OrderConflict(
            node.path, node.line,
            f"app {app}: merged with the base branch it has {len(leaves)} leaf migrations, {described}; "
            "`manage.py migrate` stops (\"Conflicting migrations detected; multiple leaf nodes in the migration graph\")",
            f"commit a merge migration: `python manage.py makemigrations --merge {app}` (it depends on both), or {rebase}",
        ))
    return conflicts
