"""Monorepo runners and task runners: which workspace packages' scripts a command runs.

``turbo run build --filter=web...``, ``pnpm --filter @acme/db db:deploy``,
``pnpm -r build``, ``npm run build -w api``, ``yarn workspace web build``,
``yarn workspaces foreach run build``, ``nx run web:build``,
``nx run-many -t build -p a,b``, ``lerna run build --scope web``,
``bun run --filter web build``: each names
scripts and a selection of packages. Parsing only; the scanner resolves the
selection against the workspace layout.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from migpipe.buildguard.shell import Word
from migpipe.buildguard.words import program_of, texts


@dataclass
class WorkspaceRun:
    runner: str
    scripts: list[str]  # script names run in each selected package
    selectors: list[str] | None  # pnpm/turbo filters or names; None: every package
    args: list[str] = field(default_factory=list)
    exec_words: list[str] | None = None  # `pnpm --filter x exec CMD`: CMD in each package
    turbo: bool = False  # turbo.json dependsOn decides what else runs
    by_directory: bool = False  # nx: a project is a name or a directory


def _option_values(args: list[str], names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(values of the given options, the remaining arguments)."""
    values: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        key, eq, inline = arg.partition("=")
        if key in names:
            if eq:
                values.append(inline)
            elif i + 1 < len(args):
                values.append(args[i + 1])
                i += 1
        else:
            rest.append(arg)
        i += 1
    return values, rest


_TURBO_VALUE_OPTIONS = ("--concurrency", "--cache-dir", "--log-order", "--output-logs", "--env-mode", "--cache", "--graph", "--summarize", "--log-prefix", "--ui", "--profile", "--token", "--team", "--api", "--heap", "--trace")


def _turbo(args: list[str]) -> WorkspaceRun | None:
    filters, rest = _option_values(args, ("--filter", "-F", "--scope"))
    _, rest = _option_values(rest, _TURBO_VALUE_OPTIONS)
    if rest and rest[0] == "run":
        rest = rest[1:]
    cut = rest.index("--") if "--" in rest else len(rest)
    tasks = [arg for arg in rest[:cut] if not arg.startswith("-")]
    if not tasks or tasks[0] in ("prune", "login", "link", "unlink", "daemon", "gen", "generate", "telemetry", "ls", "info", "query", "watch", "boundaries", "scan", "bin", "logout"):
        return None
    return WorkspaceRun("turbo", tasks, filters or None, rest[cut + 1 :], turbo=True)


def _pnpm(args: list[str]) -> WorkspaceRun | None:
    filters, rest = _option_values(args, ("--filter", "-F", "--filter-prod"))
    recursive = any(arg in ("-r", "--recursive") for arg in rest)
    if not filters and not recursive:
        return None
    rest = [arg for arg in rest if arg not in ("-r", "--recursive", "--parallel", "--stream", "--if-present", "--no-bail", "--sequential", "--aggregate-output", "--workspace-root", "-w", "--reverse", "--prod", "--legacy", "--silent", "-s")]
    if not rest:
        return None
    command, after = rest[0], rest[1:]
    selectors = filters or None
    if command in ("exec", "dlx"):
        return WorkspaceRun("pnpm", [], selectors, exec_words=after)
    if command in ("install", "i", "add", "deploy", "publish", "pack", "update", "up", "remove", "rm", "list", "ls", "why", "outdated", "audit", "link", "prune"):
        return None
    if command == "run":
        if not after:
            return None
        return WorkspaceRun("pnpm", [after[0]], selectors, after[1:])
    return WorkspaceRun("pnpm", [command], selectors, after)


def _bun(args: list[str]) -> WorkspaceRun | None:
    """``bun run --filter web build`` / ``bun --filter './packages/*' build``: as pnpm's filters."""
    filters, _ = _option_values(args, ("--filter", "-F"))
    if not filters:
        return None
    run = _pnpm(args)
    if run is None:
        return None
    run.runner = "bun"
    return run


def _npm(args: list[str]) -> WorkspaceRun | None:
    names, rest = _option_values(args, ("-w", "--workspace"))
    every = any(arg in ("--workspaces", "-ws") for arg in rest)
    if not names and not every:
        return None
    rest = [arg for arg in rest if arg not in ("--workspaces", "-ws", "--if-present", "--include-workspace-root")]
    if not rest:
        return None
    command, after = rest[0], rest[1:]
    if command in ("run", "run-script", "rum", "urn") and after:
        return WorkspaceRun("npm", [after[0]], names or None, after[1:])
    if command in ("start", "test", "stop", "restart"):
        return WorkspaceRun("npm", [command], names or None, after)
    if command in ("exec", "x"):
        return WorkspaceRun("npm", [], names or None, exec_words=[a for a in after if a != "--"])
    return None


def _yarn(args: list[str]) -> WorkspaceRun | None:
    if len(args) >= 3 and args[0] == "workspace":
        name, command, after = args[1], args[2], args[3:]
        if command == "run" and after:
            command, after = after[0], after[1:]
        if command in ("exec",):
            return WorkspaceRun("yarn", [], [name], exec_words=after)
        return WorkspaceRun("yarn", [command], [name], after)
    if len(args) >= 2 and args[0] == "workspaces" and args[1] in ("foreach", "run"):
        rest = args[2:]
        includes, rest = _option_values(rest, ("--include", "--from"))
        _, rest = _option_values(rest, ("-j", "--jobs", "--exclude", "--since"))
        rest = [arg for arg in rest if not arg.startswith("-")]
        if args[1] == "foreach" and rest and rest[0] == "run":
            rest = rest[1:]
        if not rest:
            return None
        if args[1] == "foreach" and rest[0] == "exec":
            return WorkspaceRun("yarn", [], includes or None, exec_words=rest[1:])
        return WorkspaceRun("yarn", [rest[0]], includes or None, rest[1:])
    return None


def _nx(args: list[str]) -> WorkspaceRun | None:
    if not args:
        return None
    if args[0] == "run" and len(args) >= 2 and ":" in args[1]:
        project, target = args[1].split(":", 2)[:2]
        return WorkspaceRun("nx", [target], [project], by_directory=True)
    if args[0] in ("run-many", "affected"):
        targets, rest = _option_values(args[1:], ("-t", "--target", "--targets"))
        projects, rest = _option_values(rest, ("-p", "--projects"))
        names = [t for value in targets for t in value.split(",") if t]
        chosen = [p for value in projects for p in value.split(",") if p] or None
        return WorkspaceRun("nx", names, chosen, by_directory=True) if names else None
    if len(args) >= 2 and not args[0].startswith("-") and not args[1].startswith("-"):
        return WorkspaceRun("nx", [args[0]], [args[1]], by_directory=True)  # nx build web
    return None


def _lerna(args: list[str]) -> WorkspaceRun | None:
    if not args or args[0] not in ("run", "exec"):
        return None
    scopes, rest = _option_values(args[1:], ("--scope",))
    _, rest = _option_values(rest, ("--ignore", "--concurrency", "--since"))
    if args[0] == "exec":
        cut = rest.index("--") if "--" in rest else -1
        return WorkspaceRun("lerna", [], scopes or None, exec_words=rest[cut + 1 :])
    names = [arg for arg in rest if not arg.startswith("-")]
    return WorkspaceRun("lerna", names[:1], scopes or None, names[1:]) if names else None


def workspace_run(words: list[Word]) -> WorkspaceRun | None:
    """The workspace scripts this command runs, when it is a monorepo runner."""
    program, args = program_of(words), texts(words[1:])
    parsers = {"turbo": _turbo, "pnpm": _pnpm, "bun": _bun, "npm": _npm, "yarn": _yarn, "nx": _nx, "lerna": _lerna}
    parser = parsers.get(program)
    return parser(args) if parser else None


def task_runner(words: list[Word]) -> tuple[str, str, list[str]] | None:
    """(runner, target, args) of taskipy ``task X``, ``make X``, ``just X``."""
    program, args = program_of(words), texts(words[1:])
    if program == "task" and args and not args[0].startswith("-"):
        return "taskipy", args[0], args[1:]
    if program in ("make", "just") and args:
        targets = [arg for arg in args if not arg.startswith("-") and "=" not in arg]
        return (program, targets[0], args[1:]) if targets else None
    return None
