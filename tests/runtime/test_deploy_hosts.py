"""migpipe deploy finds every host's runtime through one registry."""
from __future__ import annotations

from migpipe.profiles.hosts.registry import HOSTS
from migpipe.runtime.deploy.hosts import DEPLOYS


def test_every_host_plugin_has_a_deploy() -> None:
    assert set(DEPLOYS) == set(HOSTS)
    for name, module in DEPLOYS.items():
        assert callable(module.target_from) and callable(module.run), name
