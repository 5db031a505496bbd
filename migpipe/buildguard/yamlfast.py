"""YAML with line numbers, parsed by libyaml: host configs and workflows are read often and can be big.

ruamel's round-trip loader keeps line numbers but is pure Python (a 1,200-line
workflow takes a quarter of a second); the guard only needs values and the
line of each key, which PyYAML's C composer gives for a fraction of that.
"""
from __future__ import annotations

from typing import Any

import yaml

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader

_MERGE = "tag:yaml.org,2002:merge"


class LineDict(dict[Any, Any]):
    """A mapping that remembers the line (1-based) of each key and of each value."""

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[Any, int] = {}
        self.value_lines: dict[Any, int] = {}


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag.rsplit(":", 1)[-1]
    if tag == "null":
        return None
    if tag == "bool":
        return node.value.lower() in ("true", "yes", "on")
    if tag == "int":
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return node.value
    if tag == "float":
        try:
            return float(node.value)
        except ValueError:
            return node.value
    return node.value


def _convert(node: yaml.Node, seen: dict[int, Any]) -> Any:
    if id(node) in seen:
        return seen[id(node)]
    if isinstance(node, yaml.MappingNode):
        mapping = LineDict()
        seen[id(node)] = mapping
        merged: list[Any] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                value = _convert(value_node, seen)
                merged += value if isinstance(value, list) else [value]
                continue
            key = _convert(key_node, seen)
            if isinstance(key, (list, dict)):
                continue
            mapping[key] = _convert(value_node, seen)
            mapping.key_lines[key] = key_node.start_mark.line + 1
            mapping.value_lines[key] = value_node.start_mark.line + 1
        for other in merged:  # `<<: *anchor`: keys written here win
            if isinstance(other, LineDict):
                for key, value in other.items():
                    if key not in mapping:
                        mapping[key] = value
                        mapping.key_lines[key] = other.key_lines.get(key, 1)
                        mapping.value_lines[key] = other.value_lines.get(key, 1)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        seen[id(node)] = items
        items.extend(_convert(item, seen) for item in node.value)
        return items
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node)


def load(text: str) -> Any:
    """The document's data; raises yaml.YAMLError when it is not valid YAML."""
    node = yaml.compose(text, Loader=_Loader)
    return None if node is None else _convert(node, {})


def key_line(mapping: Any, key: str) -> int:
    return mapping.key_lines.get(key, 1) if isinstance(mapping, LineDict) else 1


def value_line(mapping: Any, key: str) -> int:
    return mapping.value_lines.get(key, 1) if isinstance(mapping, LineDict) else 1


YAMLError = yaml.YAMLError
