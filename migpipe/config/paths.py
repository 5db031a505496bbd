"""Where the generated files go: the defaults, and the one function that decides.

Plain Python, no pydantic: the model calls ``output_paths`` with its
validated tables, and verify's fast path (``migpipe.unchanged``) calls it with
the raw tables of pipeline.toml, so both find the files in the same places.
"""
from __future__ import annotations

from collections.abc import Mapping

# [outputs] keys and their paths when omitted, in the order files are generated.
# host_config has no fixed default: each host reads its own file (render.yaml,
# fly.toml, Procfile), so its profile says where.
DEFAULT_PATHS: dict[str, str | None] = {
    "workflow": ".github/workflows/ci-cd.yml",
    "build_guard": "scripts/check-no-migrate-in-build.sh",
    "migrate_script": "scripts/migrate-with-guards.sh",
    "host_config": None,
    "runbook": "docs/migrations-runbook.md",
}
DEFAULT_WORKING_DIRECTORY = "."


def output_paths(outputs: Mapping[str, str | None], host_name: str, working_directory: str) -> dict[str, str]:
    """Every output's path: the one set in [outputs], else its default.

    ``outputs`` may omit keys (a raw TOML table) or hold None for them (the
    model's dump); both mean the default.
    """
    from migpipe.profiles.hosts import default_host_config

    paths = {}
    for key, default in DEFAULT_PATHS.items():
        path = outputs.get(key) or default
        if path is None:
            path = default_host_config(host_name, working_directory)
        paths[key] = path
    return paths
