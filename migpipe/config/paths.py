"""Where the generated files go: the defaults, and the one function that decides.

Plain Python: the model (migpipe.pipeline) calls ``output_paths`` with its
validated [outputs] table and the host plugin's own config path.
"""
from __future__ import annotations

from collections.abc import Mapping

# [outputs] keys and their paths when omitted, in the order files are generated.
# host_config has no fixed default: each host reads its own file (render.yaml,
# fly.toml, Procfile), so its profile says where.
DEFAULT_WORKFLOW = ".github/workflows/ci-cd.yml"
DEFAULT_BUILD_GUARD = "scripts/check-no-migrate-in-build.sh"
DEFAULT_MIGRATE_SCRIPT = "scripts/migrate-with-guards.sh"
DEFAULT_RUNBOOK = "docs/migrations-runbook.md"
DEFAULT_PATHS: dict[str, str | None] = {
    "workflow": DEFAULT_WORKFLOW,
    "build_guard": DEFAULT_BUILD_GUARD,
    "migrate_script": DEFAULT_MIGRATE_SCRIPT,
    "host_config": None,
    "runbook": DEFAULT_RUNBOOK,
}
DEFAULT_WORKING_DIRECTORY = "."


def output_paths(outputs: Mapping[str, str | None], host_config: str) -> dict[str, str]:
    """Every output's path: the one set in [outputs], else its default.

    ``outputs`` may omit keys or hold None for them (the model's dump); both
    mean the default. ``host_config`` is where the host
    reads its config when [outputs] does not say (the host profile knows).
    """
    paths = {}
    for key, default in DEFAULT_PATHS.items():
        paths[key] = outputs.get(key) or default or host_config
    return paths
