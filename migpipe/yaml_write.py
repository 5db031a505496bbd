"""Plain data (a team's job, a host config's carried part) written as block YAML that parses back to it."""
from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

# Strings a YAML 1.1 reader would take for something else (GitHub's parser is not pure 1.2).
_YAML11_SPECIAL_RE = re.compile(r"y|n|yes|no|on|off|true|false|null|~|[-+]?[0-9][0-9_.:eE+-]*|\.inf|\.nan|", re.IGNORECASE)


def _prepared(data: Any) -> Any:
    """Plain data with multi-line strings as literal blocks and ambiguous strings quoted."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    if isinstance(data, Mapping):
        return {str(k): _prepared(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_prepared(item) for item in data]
    if isinstance(data, str):
        if "\n" in data and not data[:1].isspace() and not any(line != line.rstrip() for line in data.split("\n")):
            return LiteralScalarString(data)
        if _YAML11_SPECIAL_RE.fullmatch(data):
            return DoubleQuotedScalarString(data)
    return data


def dump_yaml(data: Any, indent: int) -> str:
    """``data`` as block YAML, every line indented by ``indent`` spaces."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 100_000
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(_prepared(data), out)
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in out.getvalue().splitlines(keepends=True))


