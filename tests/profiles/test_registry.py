"""The plugin registries: each plugin is what its Protocol says, under the name its table accepts."""
from __future__ import annotations

import typing

import pytest

from migpipe.pipeline import Pipeline
from migpipe.profiles.hosts.registry import HOSTS
from migpipe.profiles.tools.registry import COMMON_FORBIDDEN, TOOLS


def _tag(table: type) -> tuple[object, ...]:
    return typing.get_args(table.model_fields["name"].annotation)


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_a_tool_plugin_owns_the_table_its_name_selects(name: str) -> None:
    plugin = TOOLS[name]
    assert plugin.NAME == name
    assert _tag(plugin.TABLE) == (name,)
    assert plugin.FORBIDDEN, f"{name} names no apply command for the build guard"
    assert set(plugin.FORBIDDEN) <= set(COMMON_FORBIDDEN)


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_a_host_plugin_owns_the_table_its_name_selects(name: str) -> None:
    plugin = HOSTS[name]
    assert plugin.NAME == name
    assert _tag(plugin.TABLE) == (name,)
    assert plugin.default_config_path("app").endswith(plugin.default_config_path("."))


def test_the_model_accepts_exactly_the_registered_plugins() -> None:
    for key, registry in (("tool", TOOLS), ("host", HOSTS)):
        members = typing.get_args(Pipeline.model_fields[key].annotation)
        assert set(members) == {plugin.TABLE for plugin in registry.values()}


def _minimal(host: dict[str, object]) -> dict[str, object]:
    return {"version": 1, "project": {"name": "acme"}, "tool": {"name": "prisma", "version": 6}, "host": host}


@pytest.mark.parametrize(
    ("host", "deploy", "secret_keys"),
    [
        ({"name": "render", "service_name": "acme"}, {}, ["host.api_key_secret", "host.service_id_secret"]),
        ({"name": "render", "service_name": "acme"}, {"mode": "hook"}, ["deploy.hook_secret"]),
        ({"name": "fly", "app": "acme"}, {}, ["host.api_token_secret"]),
        ({"name": "heroku", "app": "acme"}, {}, ["host.api_key_secret"]),
    ],
)
def test_each_host_says_where_its_deploy_credentials_are_named(
    host: dict[str, object], deploy: dict[str, object], secret_keys: list[str]
) -> None:
    pipeline = Pipeline.model_validate({**_minimal(host), "deploy": deploy}, strict=True)
    plugin = HOSTS[pipeline.host.name]
    credentials = plugin.credential_secrets(pipeline.host, pipeline.deploy)
    assert [key for key, _ in credentials] == secret_keys
    # The model refuses a credential named like the production database's secret...
    for key, _ in credentials:
        table, _, field = key.partition(".")
        clash = {**_minimal(host), "deploy": deploy}
        clash[table] = {**clash.get(table, {}), field: "PRODUCTION_DATABASE_URL"}  # type: ignore[dict-item]
        with pytest.raises(ValueError, match=f"{key}: must differ from approval.database_url_secret"):
            Pipeline.model_validate(clash, strict=True)
