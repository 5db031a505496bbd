"""Turning pydantic's validation errors into located messages.

``FILE:LINE:COL: key.path: what is wrong (what was expected)``, with "did
you mean" for misspelled keys and values; the line and column come from
``locating.KeyLocator``.
"""
from __future__ import annotations

import datetime
import difflib
import json
import re
import typing
from typing import TYPE_CHECKING, Any

from migpipe.config.loader.locating import BARE_KEY_RE, KeyLocator

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic_core import ErrorDetails

MAX_PROBLEMS = 50  # past this, more lines bury the first ones instead of helping


def _dotted(loc: tuple[Any, ...]) -> str:
    """A key path as TOML would spell it: ``ci.test_jobs."bad id".name``, ``steps[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            key = text if BARE_KEY_RE.fullmatch(text) else json.dumps(text, ensure_ascii=False)
            out += ("." if out else "") + key
    return out or "(top level)"


def _toml_value(value: Any) -> str:
    """``value`` as it would be written in TOML, cut short when long."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (int, float, datetime.date, datetime.time)):
        text = str(value)
    elif isinstance(value, list):
        text = "[...]"
    elif isinstance(value, dict):
        text = "{...}"
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, datetime.datetime):
        return "a date-time"
    for kind, name in (
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (list, "an array"),
        (dict, "a table"),
        (datetime.date, "a date"),
        (datetime.time, "a time"),
    ):
        if isinstance(value, kind):
            return name
    return type(value).__name__


_EXPECTED_BY_TYPE = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "float_type": "a number",
}


def _union_tags(annotation: Any) -> dict[str, Any]:
    """For a union selected by a `name` tag ([tool], [host]): tag -> member model."""
    members = {}
    for arg in typing.get_args(annotation):
        for member in typing.get_args(arg) or (arg,):
            field = getattr(member, "model_fields", {}).get("name")
            if field is not None and typing.get_origin(field.annotation) is typing.Literal:
                for tag in typing.get_args(field.annotation):
                    members[tag] = member
    return members


def _tagged_fields(model: type[BaseModel]) -> dict[str, set[str]]:
    """Top-level keys whose table is chosen by its `name` (tool, host) and their tags."""
    return {
        key: set(_union_tags(field.annotation))
        for key, field in model.model_fields.items()
        if _union_tags(field.annotation)
    }


def _strip_tags(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """pydantic names the union member in loc (tool.prisma.version); the file says tool.version."""
    tagged = _tagged_fields(model)
    if len(loc) >= 2 and loc[0] in tagged and loc[1] in tagged[loc[0]]:
        return loc[:1] + loc[2:]
    return loc


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The pydantic model that validates the table at ``loc``, or None."""
    annotation: Any = model
    for part in loc:
        if isinstance(part, int):
            continue  # an element of an array: same item type
        members = _union_tags(annotation)
        if part in members:
            annotation = members[part]  # tool.prisma: the member the tag selects
            continue
        inner = _inner_model(annotation)
        if inner is None:
            return None
        field = _field_named(inner, part)
        if field is None:
            # A key of a dict (a job id): its values have the dict's value type.
            if typing.get_origin(annotation) is dict:
                annotation = typing.get_args(annotation)[1]
                continue
            return None
        annotation = field.annotation
    return _inner_model(annotation)


def _field_named(model: Any, key: str) -> Any:
    if typing.get_origin(model) is dict:
        return None
    for name, field in model.model_fields.items():
        if (field.alias or name) == key:
            return field
    return None


def _inner_model(annotation: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) is dict:
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the table at ``loc`` accepts, for 'did you mean' hints."""
    table = _model_at(model, loc)
    if table is None or typing.get_origin(table) is dict:
        return []
    return [field.alias or name for name, field in table.model_fields.items()]


def _literal_choices(expected: str) -> list[str]:
    """The values of a pydantic ``expected`` text such as "'a', 'b' or 'c'"."""
    return [a or b for a, b in re.findall(r"'((?:[^'\\]|\\.)*)'|(\w+)", expected) if (a or b) != "or"]


_CHECK_PREFIX_RE = re.compile(
    r"((?:[A-Za-z_][A-Za-z0-9_\-]*)(?:\.[A-Za-z_][A-Za-z0-9_\-]*|\[\d+\])*): (.*)", re.S
)


def _split_check_path(path: str) -> tuple[Any, ...]:
    parts: list[Any] = []
    for name, index in re.findall(r"([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]", path):
        parts.append(int(index) if index else name)
    return tuple(parts)


def describe(
    model: type[BaseModel], err: ErrorDetails, locator: KeyLocator, display: str
) -> list[tuple[tuple[int, int], str]]:
    """One or more located messages (a model check may report several)."""
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    # Pydantic puts union members / validator names into loc; drop them.
    key_error = bool(loc) and loc[-1] == "[key]"
    loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))

    messages: list[tuple[tuple[Any, ...], str]] = []
    if kind == "value_error":
        text = str(ctx.get("error", err["msg"].removeprefix("Value error, ")))
        # Model checks name the key they blame as "key.path: text", one per line.
        for line in text.split("\n"):
            match = _CHECK_PREFIX_RE.fullmatch(line)
            if match:
                messages.append((loc + _split_check_path(match.group(1)), match.group(2)))
            elif key_error:
                messages.append((loc, f"the key {_toml_value(value)} is not allowed: it {line}"))
            else:
                messages.append((loc, line))
    elif kind == "missing":
        messages.append((loc, "missing required key"))
    elif kind == "union_tag_not_found":
        tags = sorted(_tagged_fields(model).get(str(loc[0]) if loc else "", set()))
        expected = ", ".join(json.dumps(t) for t in tags)
        messages.append((loc + ("name",), f"missing required key (expected one of {expected})"))
    elif kind == "union_tag_invalid":
        tags = sorted(_tagged_fields(model).get(str(loc[0]) if loc else "", set()))
        tag = str(ctx.get("tag", ""))
        guess = difflib.get_close_matches(tag, tags, n=1, cutoff=0.6)
        hint = f"; did you mean {json.dumps(guess[0])}?" if guess else ""
        expected = ", ".join(json.dumps(t) for t in tags)
        messages.append((loc + ("name",), f"{_toml_value(tag)} is not allowed (expected one of {expected}{hint})"))
    elif kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        message = "unknown key"
        if guess:
            message += f" (did you mean {guess[0]!r}?)"
        elif allowed:
            message += f" (expected one of: {', '.join(allowed)})"
        messages.append((loc, message))
    elif kind in ("literal_error", "enum"):
        choices = _literal_choices(str(ctx.get("expected", "")))
        shown = [json.dumps(c) if not re.fullmatch(r"\d+|True|False", c) else c.lower() for c in choices]
        expected = shown[0] if len(shown) == 1 else "one of " + ", ".join(shown)
        hint = ""
        if isinstance(value, str) and value.lower() in [c.lower() for c in choices]:
            # version = "6" or auto_deploy = "false": right value, written as a string.
            hint = "; write it without quotes"
        elif isinstance(value, str):
            guess = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
            hint = f"; did you mean {json.dumps(guess[0])}?" if guess else ""
        messages.append((loc, f"{_toml_value(value)} is not allowed (expected {expected}{hint})"))
    elif kind in _EXPECTED_BY_TYPE:
        got = _type_name(value)
        if not isinstance(value, (list, dict)):
            got += f" {_toml_value(value)}"
        messages.append((loc, f"got {got} (expected {_EXPECTED_BY_TYPE[kind]})"))
    elif kind == "too_short":
        minimum = ctx.get("min_length", 1)
        messages.append((loc, f"must not be empty (expected at least {minimum} item{'s' if minimum != 1 else ''})"))
    elif kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        word = "at least" if kind == "greater_than_equal" else "more than"
        messages.append((loc, f"{_toml_value(value)} is too small (expected {word} {bound})"))
    elif kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        word = "at most" if kind == "less_than_equal" else "less than"
        messages.append((loc, f"{_toml_value(value)} is too large (expected {word} {bound})"))
    else:
        message = err["msg"]
        messages.append((loc, message[:1].lower() + message[1:]))

    located = []
    for loc_in_model, text in messages:
        where = _strip_tags(model, loc_in_model)
        row, col = locator.find(where)
        located.append(((row, col), f"{display}:{row}:{col}: {_dotted(where)}: {text}"))
    return located

