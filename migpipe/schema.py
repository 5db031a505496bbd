"""The JSON Schema of pipeline.toml, generated from the pydantic model.

Draft-07, because that is what taplo and the VS Code TOML extensions read
(through a ``#:schema`` line at the top of pipeline.toml).
"""
from __future__ import annotations

import json
from typing import Any

SCHEMA_ID = "https://migpipe.dev/schemas/pipeline.schema.json"


def _to_draft07(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = value.replace("#/$defs/", "#/definitions/")
            elif key == "$defs":
                out["definitions"] = _to_draft07(value)
            else:
                out[key] = _to_draft07(value)
        return out
    if isinstance(node, list):
        return [_to_draft07(item) for item in node]
    return node


def build_schema() -> dict[str, Any]:
    from migpipe.pipeline import Pipeline

    schema = _to_draft07(Pipeline.model_json_schema(by_alias=True, mode="validation"))
    return {"$schema": "http://json-schema.org/draft-07/schema#", "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    return json.dumps(build_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
