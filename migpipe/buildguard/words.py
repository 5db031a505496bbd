"""What one simple command runs: wrappers peeled off, script runners recognised.

A migration hides behind wrappers (``npx``, ``dotenv -e .env --``,
``cross-env A=b``, ``bundle exec``, ``gosu app``), inside shell strings
(``sh -c '...'``, ``su app -c '...'``) and behind package-manager scripts
(``npm run X``, ``pnpm X``, ``yarn X``). This module answers, for one
command's words, "which command does this wrap?" and "which package.json
scripts does this run?"; following them is the scanner's job.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from migpipe.buildguard.shell import Word

_ASSIGNMENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_REDIRECTION_RE = re.compile(r"\d*(>>?|<<?<?|>&|<&|&>>?)(.*)")

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash"})
# Commands whose arguments are text to show, not commands to run.
MESSAGES = frozenset({"echo", "printf"})

# Wrappers that run the rest of their arguments as a command, after their own
# options; the value is the set of their options that take a value.
_OPTION_WRAPPERS: dict[str, frozenset[str]] = {
    "npx": frozenset({"-p", "--package"}),
    "bunx": frozenset({"-p", "--package"}),
    "pnpx": frozenset(),
    "dotenv": frozenset({"-e", "-v", "-p", "-c"}),
    "dotenv-flow": frozenset({"-e", "-v", "-p", "-c", "--node-env", "--path"}),
    "env-cmd": frozenset({"-f", "-e", "-r", "--file", "--environments", "--rc-file"}),
    "exec": frozenset({"-a"}),
    "with-contenv": frozenset(),
    "nohup": frozenset(),
    "time": frozenset(),
    "command": frozenset(),
    "nice": frozenset({"-n"}),
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-U"}),
    "tini": frozenset({"-p", "-e"}),
    "dumb-init": frozenset(),
    "runuser": frozenset({"-u", "-g", "-G", "-l", "--user", "--group"}),
    "chpst": frozenset({"-u", "-U", "-e", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c", "-r", "-t", "-/"}),
    "xvfb-run": frozenset({"-a", "-s", "-n", "-e", "-f", "-p"}),
}
# Wrappers whose first plain argument is theirs (a user, a duration), not the command.
_ONE_ARGUMENT_WRAPPERS = frozenset({"gosu", "su-exec", "setuidgid", "s6-setuidgid", "timeout", "s6-setlock", "flock"})
# Wrappers that set variables: `env A=b cmd`, `cross-env A=b cmd`.
_ENV_WRAPPERS = frozenset({"env", "cross-env"})
# `<program> <subcommand> cmd...` wrappers.
_SUBCOMMAND_WRAPPERS: dict[str, frozenset[str]] = {
    "bundle": frozenset({"exec"}),
    "poetry": frozenset({"run"}),
    "pipenv": frozenset({"run"}),
    "uv": frozenset({"run"}),
    "pdm": frozenset({"run"}),
    "hatch": frozenset({"run"}),
    "npm": frozenset({"exec", "x"}),
    "pnpm": frozenset({"exec", "dlx"}),
    "yarn": frozenset({"exec", "dlx"}),
    "bun": frozenset({"x"}),
    "doppler": frozenset({"run"}),
    "infisical": frozenset({"run"}),
    "op": frozenset({"run"}),
    "railway": frozenset({"run"}),
}
# Wrappers that run whatever follows `--` (and only that).
DASHDASH_WRAPPERS = frozenset({"wait-for-it", "wait-for-it.sh", "wait-for", "wait-for.sh", "dockerize"})

# Package-manager options that take a value, and those naming the directory.
_PM_VALUE_OPTIONS = frozenset({"--prefix", "-C", "--dir", "--cwd", "-w", "--workspace", "--filter", "-F", "--loglevel"})
_PM_DIR_OPTIONS = frozenset({"--prefix", "-C", "--dir", "--cwd"})
# Options meaning "in another workspace package": that package.json is not this one.
_PM_ELSEWHERE_OPTIONS = frozenset({"-w", "--workspace", "--filter", "-F", "--workspaces", "-ws", "-r", "--recursive"})
_NPM_RUN = frozenset({"run", "run-script", "rum", "urn"})
_NPM_BUILTIN_SCRIPTS = frozenset({"start", "test", "stop", "restart", "t", "tst"})
_INSTALL = frozenset({"install", "i", "ci", "add", "isntall"})
# pnpm / yarn / bun commands that are theirs, never a package script of that name.
_PM_BUILTINS = frozenset({"deploy", "publish", "pack", "prune", "fetch", "store", "config", "set", "cache", "why", "list", "ls", "outdated", "audit", "link", "unlink", "import", "rebuild", "remove", "rm", "update", "up", "upgrade", "init", "create", "patch", "patch-commit", "licenses", "env", "setup", "bin", "root", "info", "version", "npm", "plugin", "constraints", "dedupe"})
# bun's own commands win over a package script of the same name (`bun build` is
# its bundler, `bun test` its test runner): only `bun run NAME` is sure to be a
# script. The ones bun shares with pnpm / yarn are in _PM_BUILTINS, its install
# commands in _INSTALL, `bun x` / `bun exec` unwrap like `pnpm exec`.
_BUN_BUILTINS = frozenset({"build", "test", "repl", "pm"})
# What `npm install` (with no package argument) runs of the project's own scripts.
INSTALL_LIFECYCLE = ("preinstall", "install", "postinstall", "prepare")


def program_of(words: list[Word]) -> str:
    return words[0].text.rsplit("/", 1)[-1] if words else ""


def texts(words: list[Word]) -> list[str]:
    return [word.text for word in words]


def strip_prefix(words: list[Word]) -> list[Word]:
    """Drop leading variable assignments and all redirections (``2>&1``, ``> log``)."""
    result: list[Word] = []
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
            continue
        match = None if word.quoted else _REDIRECTION_RE.fullmatch(word.text)
        if match:
            skip_next = match.group(2) == ""  # `>` `file`: the target is the next word
            continue
        # A leading NAME=value (its value may be quoted: A="x y") sets a variable.
        if not result and _ASSIGNMENT_RE.match(word.text):
            continue
        result.append(word)
    return result


def _skip_options(args: list[Word], with_value: frozenset[str]) -> list[Word]:
    """The arguments after a wrapper's own options (and a ``--`` ending them)."""
    i = 0
    while i < len(args):
        text = args[i].text
        if text == "--":
            return args[i + 1 :]
        if not text.startswith("-") or text == "-":
            break
        i += 2 if text in with_value else 1
    return args[i:]


def unwrap(words: list[Word]) -> list[Word] | None:
    """The command a wrapper runs, or None when ``words`` is not a known wrapper."""
    program, args = program_of(words), words[1:]
    if program in _OPTION_WRAPPERS:
        return _skip_options(args, _OPTION_WRAPPERS[program])
    if program in _ONE_ARGUMENT_WRAPPERS:
        rest = _skip_options(args, frozenset({"-s", "-k", "--signal", "--kill-after", "-t", "-w", "-E"}))
        return rest[1:]
    if program in _ENV_WRAPPERS:
        rest = _skip_options(args, frozenset({"-u", "--unset", "-C", "--chdir", "-S"}))
        while rest and _ASSIGNMENT_RE.match(rest[0].text):
            rest = rest[1:]
        return rest
    if program in _SUBCOMMAND_WRAPPERS:
        rest = _skip_options(args, _PM_VALUE_OPTIONS)
        if rest and rest[0].text in _SUBCOMMAND_WRAPPERS[program]:
            return _skip_options(rest[1:], frozenset({"-p", "--package", "--with", "--env-file"}))
        return None
    if program in DASHDASH_WRAPPERS:
        separator = [i for i, word in enumerate(args) if word.text == "--"]
        return args[separator[0] + 1 :] if separator else []
    return None


def shell_string(words: list[Word]) -> str | None:
    """The script of ``sh -c '...'``, ``su user -c '...'``, ``eval ...`` or ``npx -c '...'``."""
    program, args = program_of(words), texts(words[1:])
    if program == "eval" or program == "cross-env-shell":
        return " ".join(args)
    if program in SHELLS or program in ("su", "runuser", "npx"):
        for i, arg in enumerate(args):
            takes_script = arg in ("-c", "--command", "--call") or (
                re.fullmatch(r"-[a-z]*c[a-z]*", arg) is not None and program in SHELLS
            )
            if takes_script and i + 1 < len(args):
                return args[i + 1]
    return None


def shell_script_argument(words: list[Word]) -> str | None:
    """The file a command runs as a shell script: ``bash x.sh``, ``. x``, ``./x.sh``."""
    program = program_of(words)
    if program in SHELLS or words[0].text in ("source", "."):
        rest = _skip_options(words[1:], frozenset({"-o", "+o"}))
        return rest[0].text if rest else None
    first = words[0].text
    if "/" in first or first.endswith(".sh"):
        return first
    return None


@dataclass
class ScriptCall:
    """``npm run X`` and friends: scripts of the package.json in ``directory``."""

    manager: str
    names: list[str]
    args: list[str] = field(default_factory=list)
    directory: str | None = None  # --prefix / -C / --cwd, relative to the current one
    elsewhere: bool = False  # --workspace / --filter: another package's scripts
    # yarn/pnpm/bun run binaries too: what to run when the name is not a script.
    fallback: list[Word] | None = None
    is_glob: bool = False  # npm-run-all patterns such as build:*
    with_hooks: bool = True


def _package_manager_call(program: str, args: list[Word]) -> ScriptCall | None:
    directory, elsewhere, i = None, False, 0
    while i < len(args) and args[i].text.startswith("-"):
        option, _, inline = args[i].text.partition("=")
        if option in _PM_ELSEWHERE_OPTIONS:
            elsewhere = True
        if option in _PM_VALUE_OPTIONS and not inline:
            if option in _PM_DIR_OPTIONS and i + 1 < len(args):
                directory = args[i + 1].text
            i += 2
            continue
        if option in _PM_DIR_OPTIONS:
            directory = inline
        i += 1
    rest = args[i:]
    call = ScriptCall(program, [], directory=directory, elsewhere=elsewhere)
    if not rest:
        # A bare `yarn` (or `pnpm`, `bun`) installs; a bare `npm` only prints help.
        if program == "npm":
            return None
        call.names, call.with_hooks = list(INSTALL_LIFECYCLE), False
        return call
    command, after = rest[0].text, rest[1:]
    if command in _SUBCOMMAND_WRAPPERS[program] or command in ("exec", "dlx", "x"):
        return None  # `pnpm exec prisma ...` runs a binary: unwrap() handles it
    if program == "bun" and command in _BUN_BUILTINS:
        return None  # `bun build src/main.ts`: bun's bundler, not the "build" script
    if command in _PM_BUILTINS and program != "npm" or command in ("deploy", "publish", "pack"):
        return None  # a package manager's own command, not a script
    if command in _INSTALL:
        if any(not word.text.startswith("-") for word in after):
            return None  # `npm install left-pad`: installs a package, runs no own script
        call.names, call.with_hooks = list(INSTALL_LIFECYCLE), False
        return call
    if command in _NPM_RUN or (program != "npm" and command == "run"):
        names = _skip_options(after, frozenset({"-w", "--workspace", "--filter"}))
        if not names:
            return None
        # A script that is not there is taken for a binary of that name (yarn
        # and pnpm do run binaries this way; for npm it is the best guess).
        call.names, call.args, call.fallback = [names[0].text], _script_args(names[1:]), names
        if program == "npm":
            # npm reads options before `--` as its own: `npm run x -w pkg` is pkg's x.
            after_name = texts(names[1:])
            cut = after_name.index("--") if "--" in after_name else len(after_name)
            own, passed = after_name[:cut], after_name[cut + 1 :]
            call.elsewhere = call.elsewhere or any(o.partition("=")[0] in _PM_ELSEWHERE_OPTIONS for o in own)
            call.args = [o for o in own if not o.startswith("-")] + passed
        return call
    if command in _NPM_BUILTIN_SCRIPTS:
        call.names = ["test" if command in ("t", "tst") else command]
        call.args = _script_args(after)
        return call
    if program == "npm":
        return None
    # `yarn build`, `pnpm db:deploy`: a script if there is one, else a binary.
    call.names, call.args, call.fallback = [command], _script_args(after), rest
    return call


def _script_args(words: list[Word]) -> list[str]:
    args = texts(words)
    return args[1:] if args[:1] == ["--"] else args


def script_call(words: list[Word]) -> ScriptCall | None:
    """The package.json scripts this command runs, if it is a script runner."""
    program, args = program_of(words), words[1:]
    if program in ("npm", "pnpm", "yarn", "bun"):
        return _package_manager_call(program, args)
    if program == "deno" and args and args[0].text == "task":
        # `deno task NAME`: deno.json's task, else package.json's script of that name.
        rest, directory = args[1:], None
        while rest and rest[0].text.startswith("-"):
            option, _, inline = rest[0].text.partition("=")
            if option in ("--cwd", "-c", "--config", "-f", "--filter") and not inline:
                directory = rest[1].text if option == "--cwd" and len(rest) > 1 else directory
                rest = rest[2:]
                continue
            directory = inline if option == "--cwd" else directory
            rest = rest[1:]
        if not rest:
            return None
        return ScriptCall("deno", [rest[0].text], _script_args(rest[1:]), directory=directory)
    if program in ("npm-run-all", "run-s", "run-p", "npm-run-all2"):
        names = []
        i = 0
        while i < len(args):
            text = args[i].text
            if text in ("--npm-path", "--max-parallel"):
                i += 2
                continue
            if not text.startswith("-"):
                # "test -- --run": the script name is the first word of the pattern.
                names.append(text.split()[0] if text.strip() else text)
            i += 1
        return ScriptCall(program, names, is_glob=True) if names else None
    return None


def concurrently_commands(words: list[Word]) -> list[str] | None:
    """The commands ``concurrently "a" "b"`` runs (``npm:x`` meaning ``npm run x``)."""
    if program_of(words) != "concurrently":
        return None
    commands = []
    args = _skip_options(
        words[1:],
        frozenset({"-n", "--names", "-c", "--prefix-colors", "-p", "--prefix", "-m", "--max-processes", "--name-separator", "-s", "--success", "--restart-tries", "--restart-after", "-t", "--timestamp-format", "-l", "--prefix-length", "--default-input-target", "--handle-input"}),
    )
    for word in args:
        text = word.text
        if text.startswith("-"):
            continue
        manager, colon, name = text.partition(":")
        if colon and manager in ("npm", "yarn", "pnpm", "bun") and " " not in manager:
            text = f"{manager} run {name}"
        commands.append(text)
    return commands
