"""Programs the host runs (node, tsx, python, ruby, a Go binary): what they run in turn.

A migration need not be a shell command: a start script may call
``execSync('prisma migrate deploy')``, ``spawnSync("prisma", ["migrate", sub])``,
or a tool's own API (Drizzle's ``migrate(db, …)``, Knex ``migrate.latest()``,
Django ``call_command("migrate")``, golang-migrate ``m.Up()``). This module
reads a program's text, comments removed, and lists: the command strings it
passes to spawn/exec functions, the migration APIs it calls, and the files it
runs or imports (relative imports, ``fork(path.join(__dirname, …))``), so the
scanner can follow them. It reads text; it runs nothing.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

LANGUAGES = {
    ".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "js",
    ".ts": "js", ".mts": "js", ".cts": "js", ".tsx": "js",
    ".py": "python", ".rb": "ruby", ".go": "go",
}
JS_SOURCE_SUFFIXES = (".ts", ".mts", ".tsx", ".js", ".mjs", ".cjs", ".cts", ".jsx")
BUILD_DIRECTORIES = ("dist", "build", "out", "lib", ".output", "compiled")
PLACEHOLDER = "${…}"


@dataclass(frozen=True)
class ApiRule:
    """A tool's programmatic migration API, recognised in a program's text."""

    label: str
    language: str
    call: str  # regex of the call; {alias} is replaced by the imported name when ``imports`` is given
    imports: str | None = None  # regex with group "alias"; the call counts only with this import
    default_alias: str = ""


API_RULES: tuple[ApiRule, ...] = (
    ApiRule(
        "drizzle migrate(db, …) (drizzle-orm migrator)",
        "js",
        r"(?<![\w.]){alias}\s*\(",
        r"import\s*\{[^}]*?\bmigrate(?:\s+as\s+(?P<alias>\w+))?[^}]*\}\s*from\s*[\"']drizzle-orm/[\w-]+/migrator[\"']",
        "migrate",
    ),
    ApiRule("knex migrate.latest|up", "js", r"\.migrate\s*\.\s*(latest|up)\s*\("),
    ApiRule("typeorm runMigrations()", "js", r"\.runMigrations\s*\("),
    ApiRule("typeorm migrationsRun: true", "js", r"\bmigrationsRun\s*:\s*true\b"),
    ApiRule("umzug/sequelize migrations.up()", "js", r"\b(umzug|migrator|migrations)\s*\.\s*up\s*\("),
    ApiRule("mikro-orm getMigrator().up()", "js", r"getMigrator\s*\(\s*\)\s*\.\s*up\s*\("),
    ApiRule("node-pg-migrate runner()", "js", r"(?<![\w.]){alias}\s*\(", r"import\s+(?P<alias>\w+)\s+from\s*[\"']node-pg-migrate[\"']", "runner"),
    ApiRule("django call_command(\"migrate\")", "python", r"\bcall_command\s*\(\s*[\"']migrate[\"']"),
    ApiRule("alembic command.upgrade", "python", r"\bcommand\s*\.\s*upgrade\s*\(", r"from\s+alembic\s+import\s+command\b"),
    ApiRule(
        "alembic command.upgrade",
        "python",
        r"(?<![\w.]){alias}\s*\(",
        r"from\s+alembic\.command\s+import\s+upgrade(?:\s+as\s+(?P<alias>\w+))?",
        "upgrade",
    ),
    ApiRule("alembic.config.main([\"upgrade\", …])", "python", r"alembic\.config\.main\s*\([^)]*[\"']upgrade[\"']"),
    ApiRule("rails Rake::Task[\"db:migrate\"]", "ruby", r"Rake::Task\[\s*[\"']db:(migrate|prepare|setup)[\"']\s*\]"),
    ApiRule("rails ActiveRecord migrate", "ruby", r"ActiveRecord::(Tasks::DatabaseTasks\.(migrate|prepare_all)|MigrationContext\.new\([^)]*\)\.migrate)\b"),
    ApiRule("golang-migrate Up()", "go", r"\.\s*Up\s*\(\s*\)", r"\"github\.com/golang-migrate/migrate(/v\d+)?(?P<alias>)\""),
    ApiRule("goose.Up()", "go", r"\bgoose\s*\.\s*Up(Context)?\s*\(", r"\"github\.com/pressly/goose(/v\d+)?(?P<alias>)\""),
)

_EXEC_CALLS = {
    "js": r"(?<![\w.])(?:child_process\.|cp\.)?(execSync|exec|execa|execaSync|execaCommand|execaCommandSync|spawn|spawnSync|execFile|execFileSync)\s*\(",
    "python": r"\b(?:subprocess\.(?:run|call|check_call|check_output|Popen)|os\.system|os\.popen)\s*\(",
    "ruby": r"(?<![\w.])(?:system|exec|spawn|Open3\.capture[23e]?)\s*\(?",
    "go": r"\bexec\.Command(?:Context)?\s*\(",
}


@dataclass
class ProgramFacts:
    commands: list[tuple[int, str]] = field(default_factory=list)  # spawn/exec command text
    apis: list[tuple[int, str, str]] = field(default_factory=list)  # (line, label, the line's text)
    files: list[tuple[int, str]] = field(default_factory=list)  # relative imports, forked files
    modules: list[tuple[int, str]] = field(default_factory=list)  # Python imports: "pkg.mod", ".sibling"


def language_of(path: Path) -> str | None:
    return LANGUAGES.get(path.suffix)


def strip_comments(text: str, language: str, strings: list[tuple[int, int]] | None = None) -> str:
    """The text with comments blanked out (line numbers and columns kept); strings untouched.

    The spans of string literals are appended to ``strings`` when given.
    """
    out = list(text)
    i, n = 0, len(text)
    line_comment = "#" if language in ("python", "ruby") else "//"
    while i < n:
        char = text[i]
        if char in "'\"`" and not (char == "`" and language in ("python",)):
            quote = char
            start = i
            if language == "python" and text.startswith(quote * 3, i):
                end = text.find(quote * 3, i + 3)
                i = n if end == -1 else end + 3
                if strings is not None:
                    strings.append((start, i))
                continue
            i += 1
            while i < n and text[i] != quote:
                if text[i] == "\\":
                    i += 1
                elif text[i] == "\n" and quote != "`":
                    break
                i += 1
            i += 1
            if strings is not None:
                strings.append((start, i))
            continue
        if text.startswith(line_comment, i) and (line_comment != "//" or i == 0 or text[i - 1] != ":"):
            end = text.find("\n", i)
            end = n if end == -1 else end
            for j in range(i, end):
                out[j] = " "
            i = end
            continue
        if language in ("js", "go") and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end == -1 else end + 2
            for j in range(i, end):
                if out[j] != "\n":
                    out[j] = " "
            i = end
            continue
        i += 1
    return "".join(out)


def _literal_at(text: str, i: int) -> tuple[str | None, int]:
    """A string literal starting at ``i`` (after blanks): its value with ${…} placeholders, and the end."""
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    if i >= len(text):
        return None, i
    # Python/Ruby string prefixes (f"", r"").
    if text[i] in "frbFRB" and i + 1 < len(text) and text[i + 1] in "'\"":
        i += 1
    quote = text[i]
    if quote not in "'\"`":
        return None, i
    value: list[str] = []
    j = i + 1
    while j < len(text) and text[j] != quote:
        if text[j] == "\\" and j + 1 < len(text):
            value.append(text[j + 1])
            j += 2
            continue
        if quote == "`" and text.startswith("${", j) or (quote != "'" and text[j] == "{" and text[i - 1 : i] in "fF"):
            depth, j = 0, j + (1 if text[j] == "$" else 0)
            while j < len(text):
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            value.append(PLACEHOLDER)
            continue
        if quote == '"' and text.startswith("#{", j):  # Ruby interpolation
            end = text.find("}", j)
            j = len(text) if end == -1 else end + 1
            value.append(PLACEHOLDER)
            continue
        value.append(text[j])
        j += 1
    return "".join(value), j + 1


def _array_at(text: str, i: int) -> tuple[list[str] | None, int]:
    """A [ … ] of literals and names; names become placeholders."""
    while i < len(text) and text[i] in " \t\r\n,":
        i += 1
    if i >= len(text) or text[i] != "[":
        return None, i
    items: list[str] = []
    j = i + 1
    while j < len(text):
        while j < len(text) and text[j] in " \t\r\n,":
            j += 1
        if j >= len(text) or text[j] == "]":
            return items, j + 1
        literal, end = _literal_at(text, j)
        if literal is not None:
            items.append(literal)
            j = end
            continue
        match = re.compile(r"[^,\]]+").match(text, j)
        if match is None:
            break
        items.append("..." if match.group().strip().startswith("...") else PLACEHOLDER)
        j = match.end()
    return items, j


def _expression_end(text: str, i: int) -> int | None:
    """Where the argument expression starting at ``i`` ends (at a top-level ``,`` or ``)``)."""
    depth, limit = 0, min(len(text), i + 400)
    while i < limit:
        char = text[i]
        if char in "'\"`":
            _, i = _literal_at(text, i)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return i if char == ")" else None
            depth -= 1
        elif char == "," and depth == 0:
            return i
        i += 1
    return None


def _call_arguments(text: str, start: int, language: str) -> str | None:
    """The command a spawn/exec call at ``start`` runs, as shell text (placeholders kept)."""
    first, end = _literal_at(text, start)
    if first is None:
        array, end = _array_at(text, start)
        if array is None:
            if language != "js":
                return None
            # execFile(prismaBin, ["migrate", "deploy"]): a program chosen at run
            # time, with its arguments written out.
            end_of_program = _expression_end(text, start)
            if end_of_program is None or text[end_of_program] != ",":
                return None
            array, _ = _array_at(text, end_of_program + 1)
            if not array:
                return None
            return " ".join([PLACEHOLDER] + [_quote(item) for item in array if item != "..."])
        return " ".join(_quote(item) for item in array if item != "...")
    words = [first]
    if language == "go":
        while True:
            rest = re.compile(r"\s*,\s*").match(text, end)
            if rest is None:
                break
            literal, after = _literal_at(text, rest.end())
            if literal is None:
                word = re.compile(r"[\w.]+").match(text, rest.end())
                if word is None or word.group().startswith("ctx"):
                    break
                words.append(PLACEHOLDER)
                end = word.end()
                continue
            words.append(_quote(literal))
            end = after
        return " ".join(words)
    comma = re.compile(r"\s*,\s*").match(text, end)
    if comma is not None:
        array, _ = _array_at(text, comma.end())
        if array:
            words += [_quote(item) for item in array if item != "..."]
    return " ".join(words)


def _quote(item: str) -> str:
    return item if re.fullmatch(r"[\w@%+=:,./${}…-]+", item) else "'" + item.replace("'", "'\\''") + "'"


def _inside(spans: list[tuple[int, int]], starts: list[int], index: int) -> bool:
    position = bisect.bisect_right(starts, index) - 1
    return position >= 0 and spans[position][0] < index < spans[position][1]


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


_JS_EXEC_NAMES = r"(?:exec|execSync|execFile|execFileSync|spawn|spawnSync|execa|execaSync|execaCommand|execaCommandSync)"
# Other names for the spawn/exec functions: `const run = promisify(execFile)`,
# `import { execFile as run }`, `const { execFile: run } = require(…)`.
_JS_EXEC_ALIASES = (
    re.compile(
        rf"\b(?:const|let|var)\s+(?P<alias>\w+)\s*=\s*(?:util\.)?promisify\s*\(\s*(?:child_process\.|cp\.)?{_JS_EXEC_NAMES}\s*\)"
    ),
    re.compile(rf"\b{_JS_EXEC_NAMES}\s+as\s+(?P<alias>\w+)"),
    re.compile(rf"\b{_JS_EXEC_NAMES}\s*:\s*(?P<alias>\w+)\s*[,}}]"),
)
_JS_IMPORTS = re.compile(
    r"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](\.{1,2}/[^"']+)["']"""
)
_JS_FORK = re.compile(
    r"""\b(?:fork|Worker)\s*\(\s*(?:path\.(?:join|resolve)\s*\(\s*__dirname\s*,(?P<parts>[^)]*)\)|["'](?P<literal>[^"']+)["'])"""
)


def read_program(text: str, language: str) -> ProgramFacts:
    facts = ProgramFacts()
    strings: list[tuple[int, int]] = []
    code = strip_comments(text, language, strings)
    starts = [start for start, _ in strings]
    exec_call = re.compile(_EXEC_CALLS[language])
    if language == "js":
        aliases = sorted({match.group("alias") for pattern in _JS_EXEC_ALIASES for match in pattern.finditer(code)})
        if aliases:
            exec_call = re.compile(rf"{_EXEC_CALLS['js']}|(?<![\w.])(?:{'|'.join(map(re.escape, aliases))})\s*\(")
    wrapped: list[tuple[int, int]] = []  # (call start, its arguments' start) of calls inside a function
    for match in exec_call.finditer(code):
        command = _call_arguments(code, match.end(), language)
        if command:
            facts.commands.append((_line(code, match.start()), command))
        elif language == "js":
            wrapped.append((match.start(), match.end()))
    if wrapped:
        facts.commands += _wrapper_commands(code, wrapped)
    if language == "js" or language == "ruby":
        for match in re.finditer(r"(?<![\w\\])(?:\$|%x\(|`)", code) if language == "ruby" else re.finditer(r"(?<![\w.])\$`", code):
            if language == "js":
                literal, _ = _literal_at(code, match.end() - 1)
            elif match.group() == "`":
                literal, _ = _literal_at(code, match.start())
            else:
                continue
            if literal:
                facts.commands.append((_line(code, match.start()), literal))
    lines = text.splitlines()
    for rule in API_RULES:
        if rule.language != language:
            continue
        alias = rule.default_alias
        if rule.imports is not None:
            imported = re.search(rule.imports, code)
            if imported is None:
                continue
            alias = imported.groupdict().get("alias") or rule.default_alias
            import_span = imported.span()
        else:
            import_span = (-1, -1)
        call = re.compile(rule.call.replace("{alias}", re.escape(alias)))
        for match in call.finditer(code):
            if import_span[0] <= match.start() < import_span[1] or _inside(strings, starts, match.start()):
                continue  # the import itself, or text inside a string (a message)
            prefix = code[max(0, match.start() - 12) : match.start()]
            if re.search(r"\b(def|function|func|async function)\s+$", prefix):
                continue
            number = _line(code, match.start())
            facts.apis.append((number, rule.label, lines[number - 1].strip() if number <= len(lines) else ""))
    if language == "js":
        for match in _JS_IMPORTS.finditer(code):
            facts.files.append((_line(code, match.start()), match.group(1)))
        for match in _JS_FORK.finditer(code):
            if match.group("literal"):
                facts.files.append((_line(code, match.start()), match.group("literal")))
            else:
                parts = re.findall(r"[\"']([^\"']+)[\"']", match.group("parts") or "")
                if parts:
                    facts.files.append((_line(code, match.start()), "/".join(["."] + parts)))
    if language == "python":
        for match in _PY_IMPORT.finditer(code):
            number = _line(code, match.start())
            if match.group("base") is not None:
                base = match.group("base")
                facts.modules.append((number, base))
                names = re.sub(r"[()\\\n]", " ", match.group("names"))
                for name in names.split(","):
                    name = name.split(" as ")[0].strip()
                    if re.fullmatch(r"\w+", name):
                        # `from pkg import mod` may import a module of the package
                        facts.modules.append((number, f"{base}.{name}" if not base.endswith(".") else f"{base}{name}"))
            else:
                for name in match.group("modules").split(","):
                    module = name.split(" as ")[0].strip()
                    if re.fullmatch(r"[\w.]+", module):
                        facts.modules.append((number, module))
    return facts


_PY_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(?P<base>\.*[\w.]*)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n]*)|import[ \t]+(?P<modules>[\w. \t,]+(?:[ \t]+as[ \t]+\w+)?))",
    re.MULTILINE,
)

_JS_FUNCTION = re.compile(
    r"(?:\bfunction\s*\*?\s*(?P<name>\w+)\s*|\b(?:const|let|var)\s+(?P<bound>\w+)\s*(?::[^=;]+)?=\s*(?:async\s+)?(?:function\b[^(]*)?)"
    r"\((?P<params>[^()]*)\)"
)
_IDENTIFIER = re.compile(r"\s*(\w+)\s*")
_PARAMETER = re.compile(r"\s*(?:\.\.\.)?(\w*)")


def _argument_spans(text: str, start: int) -> list[tuple[int, int]]:
    """The spans of a call's top-level arguments, ``start`` just past its ``(``."""
    spans: list[tuple[int, int]] = []
    i = start
    while i < len(text):
        end = _expression_end(text, i)
        if end is None:
            break
        if text[i:end].strip():
            spans.append((i, end))
        if text[end] == ")":
            break
        i = end + 1
    return spans


def _body_end(text: str, start: int) -> int:
    """The end of a function body whose header ends at ``start``: its braces, or an arrow's one expression."""
    brace = re.compile(r"\s*(?::[^{=;]+)?\s*(?:=>)?\s*\{").match(text, start)
    if brace is None:
        line_end = text.find("\n", start)
        return len(text) if line_end == -1 else line_end
    depth, i = 0, brace.end() - 1
    while i < len(text):
        char = text[i]
        if char in "'\"`":
            _, i = _literal_at(text, i)
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            return i
        i += 1
    return len(text)


def _wrapper_commands(code: str, calls: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """Commands run through a function that passes its parameters to spawn/exec.

    ``function run(command, args) { spawn(command, args) }`` then ``run("node",
    ["main.js"])``: each call of the function, with its arguments in place of
    the parameters, is a command the program runs (a parameter the call leaves
    out, or one that is not a literal, stays a placeholder).
    """
    functions = []
    for header in _JS_FUNCTION.finditer(code):
        params = [m.group(1) if (m := _PARAMETER.match(part)) else "" for part in header.group("params").split(",")]
        functions.append((header.group("name") or header.group("bound"), params, header.start(), header.end(), _body_end(code, header.end())))
    # name -> (the parameter that is the program, -1 for a program of its own; the one that is its arguments; where it is defined)
    wrappers: dict[str, tuple[int, int | None, int]] = {}
    for call_start, arguments_start in calls:
        enclosing = [f for f in functions if f[3] <= call_start < f[4]]
        if not enclosing:
            continue
        name, params, header_start, _, _ = max(enclosing, key=lambda f: f[3])
        spans = _argument_spans(code, arguments_start)
        names = [m.group(1) if (m := _IDENTIFIER.fullmatch(code[a:b])) else None for a, b in spans]
        program = params.index(names[0]) if names and names[0] in params else None
        argv = params.index(names[1]) if len(names) > 1 and names[1] in params else None
        if program is None and argv is None:
            continue
        wrappers[name] = (program if program is not None else -1, argv, header_start)
    commands: list[tuple[int, str]] = []
    for name, (program, argv, header_start) in wrappers.items():
        for call in re.finditer(rf"(?<![\w.]){re.escape(name)}\s*\(", code):
            if call.start() <= header_start < call.end() or code[max(0, call.start() - 9) : call.start()].rstrip().endswith("function"):
                continue  # the definition itself
            spans = _argument_spans(code, call.end())
            words: list[str] = []
            if program >= 0:
                literal = _literal_at(code, spans[program][0])[0] if program < len(spans) else None
                if literal is None:
                    continue
                words.append(literal)
            else:
                words.append(PLACEHOLDER)
            if argv is not None and argv < len(spans):
                array, _ = _array_at(code, spans[argv][0])
                words += [_quote(item) for item in (array if array is not None else [PLACEHOLDER]) if item != "..."]
            if words != [PLACEHOLDER]:
                commands.append((_line(code, call.start()), " ".join(words)))
    return commands


def source_candidates(path: Path) -> list[Path]:
    """Where the source of a program that is not in the repository (built output) would be."""
    candidates: list[Path] = []
    stem = path.name.split(".")[0] if path.suffix in (".js", ".mjs", ".cjs") else path.stem
    parts = path.parts
    for index, part in enumerate(parts):
        if part in BUILD_DIRECTORIES:
            base = Path(*parts[:index])
            rest = Path(*parts[index + 1 : -1]) if index + 1 < len(parts) - 1 else Path()
            for directory in (base / rest, base / "src" / rest):
                candidates += [directory / f"{stem}{suffix}" for suffix in JS_SOURCE_SUFFIXES]
    if path.suffix in (".js", ".mjs", ".cjs", ".jsx"):
        candidates += [path.with_name(f"{stem}{suffix}") for suffix in JS_SOURCE_SUFFIXES]
    return candidates


def resolve_import(base: Path, spec: str) -> Path | None:
    target = base / spec
    options = [target] + [target.with_name(target.name + suffix) for suffix in JS_SOURCE_SUFFIXES]
    if target.suffix in (".js", ".mjs", ".cjs", ".jsx"):
        options += [target.with_suffix(suffix) for suffix in JS_SOURCE_SUFFIXES]
    options += [target / f"index{suffix}" for suffix in JS_SOURCE_SUFFIXES]
    for option in options:
        if option.is_file():
            return option
    return None
