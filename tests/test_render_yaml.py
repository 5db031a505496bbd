"""render.yaml validates against Render's own Blueprint schema and is build-only."""
from __future__ import annotations

import json

import jsonschema
import pytest
from ruamel.yaml import YAML

from migpipe.compiler import compile_pipeline
from migpipe.pipeline import load_pipeline
from tests.conftest import SHARED, golden_configs

RENDER_SCHEMA = SHARED / "schemas" / "render.yaml.json"
# Only the configs that select Render write a render.yaml (tests/hosts/ checks the others).
CONFIGS = {name: path for name, path in golden_configs().items() if load_pipeline(path).host.name == "render"}


def _render_yaml(name: str):
    files = {f.kind: f for f in compile_pipeline(load_pipeline(CONFIGS[name]))}
    return files["host_config"].content


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_render_yaml_matches_renders_schema(name: str) -> None:
    schema = json.loads(RENDER_SCHEMA.read_text())
    document = YAML(typ="safe").load(_render_yaml(name))
    jsonschema.Draft202012Validator(schema).validate(document)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_auto_deploy_is_off_for_yaml_1_1_readers_too(name: str) -> None:
    text = _render_yaml(name)
    # ruamel's 1.1 mode reads a bare `off` as False; the quoted one stays a string.
    yaml11 = YAML(typ="safe")
    yaml11.version = (1, 1)
    service = yaml11.load(text)["services"][0]
    assert service["autoDeployTrigger"] == "off"
    assert "autoDeploy" not in service


def test_render_schema_rejects_a_bare_off_read_as_boolean() -> None:
    """Guards the test above: the schema really refuses the YAML 1.1 misreading."""
    schema = json.loads(RENDER_SCHEMA.read_text())
    document = {"services": [{"type": "web", "name": "x", "runtime": "node", "autoDeployTrigger": False}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(document)
