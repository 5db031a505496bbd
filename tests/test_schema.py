from __future__ import annotations

import json

import jsonschema
import pytest

from migpipe.schema import schema_text
from tests.conftest import REPO_ROOT, golden_configs

SHIPPED = REPO_ROOT / "schemas" / "pipeline.schema.json"

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_shipped_schema_is_not_stale() -> None:
    assert SHIPPED.read_text(encoding="utf-8") == schema_text(), (
        "schemas/pipeline.schema.json is stale: run `migpipe schema > schemas/pipeline.schema.json`"
    )


def test_schema_is_draft07_and_describes_fields() -> None:
    schema = json.loads(SHIPPED.read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    lock = schema["definitions"]["Guards"]["properties"]["lock_timeout"]
    assert lock["default"] == "5s" and lock["description"]


@pytest.mark.parametrize("name,path", sorted(golden_configs().items()))
def test_valid_configs_validate_against_schema(name, path) -> None:
    schema = json.loads(SHIPPED.read_text())
    jsonschema.Draft7Validator(schema).validate(tomllib.loads(path.read_text()))


def test_schema_rejects_unknown_keys() -> None:
    schema = json.loads(SHIPPED.read_text())
    data = tomllib.loads((REPO_ROOT / "pipeline.example.toml").read_text())
    data["project"]["nmae"] = "typo"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(data)


def test_example_points_editors_at_the_schema() -> None:
    first = (REPO_ROOT / "pipeline.example.toml").read_text().splitlines()[0]
    assert first == "#:schema ./schemas/pipeline.schema.json"
