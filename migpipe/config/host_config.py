"""What of a host's own config pipeline.toml carries as the team wrote it, and what migpipe governs.

migpipe governs only what its policy needs: no migration in any command,
auto-deploy off for the service it deploys, no release migration. Everything
else of render.yaml / fly.toml / Procfile (other services, databases, env
vars with fromDatabase or generateValue, [env], [mounts], checks, the deploy
strategy, other processes…) is carried through pipeline.toml and written back
as it was. These checks keep a carried key from overriding a governed one.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Keys of the Render service that [host] models (or that migpipe sets).
RENDER_GOVERNED_SERVICE_KEYS = (
    "type", "name", "runtime", "env", "region", "plan", "rootDir", "buildCommand", "startCommand",
    "preDeployCommand", "healthCheckPath", "autoDeploy", "autoDeployTrigger",
)
RENDER_COMMAND_KEYS = ("buildCommand", "startCommand", "preDeployCommand", "dockerCommand")
# fly.toml: top-level keys [host] models; and, inside tables, the keys it sets.
FLY_GOVERNED_KEYS = ("app", "primary_region")
FLY_GOVERNED_IN_TABLES = {"build": ("dockerfile",), "processes": ("app",), "http_service": ("internal_port",), "deploy": ("release_command",)}


def render_problems(service_extra: Mapping[str, Any], other_services: list[Any], blueprint: Mapping[str, Any]) -> list[str]:
    problems = []
    for key in service_extra:
        if key in RENDER_GOVERNED_SERVICE_KEYS:
            problems.append(f"service_extra.{key}: set by [host] or by migpipe itself (expected it in [host], or not at all)")
    if "envVars" in service_extra and not isinstance(service_extra["envVars"], list):
        problems.append("service_extra.envVars: must be a list of env var entries")
    for index, service in enumerate(other_services):
        if not isinstance(service, Mapping) or not isinstance(service.get("name"), str):
            problems.append(f"other_services[{index}]: must be a table with a name (a Render service)")
    if "services" in blueprint:
        problems.append("blueprint.services: the services are [host] and host.other_services (expected no services here)")
    return problems


def render_commands(other_services: list[Any]) -> list[tuple[str, str]]:
    """(where, command) of every command the other services run: none may migrate."""
    found = []
    for index, service in enumerate(other_services):
        if isinstance(service, Mapping):
            for key in RENDER_COMMAND_KEYS:
                if isinstance(service.get(key), str):
                    found.append((f"host.other_services[{index}].{key}", service[key]))
    return found


def fly_problems(extra: Mapping[str, Any], has_start_command: bool) -> list[str]:
    problems = []
    for key in extra:
        if key in FLY_GOVERNED_KEYS:
            problems.append(f"extra.{key}: set by [host] (expected it there)")
    for table, keys in FLY_GOVERNED_IN_TABLES.items():
        value = extra.get(table)
        if table in extra and not isinstance(value, Mapping):
            if not (table == "processes" and not has_start_command):
                problems.append(f"extra.{table}: must be a table")
            continue
        for key in keys:
            if isinstance(value, Mapping) and key in value:
                what = "a release migration, outside migrate-prod" if key == "release_command" else "set by [host]"
                problems.append(f"extra.{table}.{key}: {what} (expected it not here)")
    return problems


def fly_commands(extra: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = []
    processes = extra.get("processes")
    if isinstance(processes, Mapping):
        for name, command in processes.items():
            if isinstance(command, str):
                found.append((f"host.extra.processes.{name}", command))
    return found


# vercel.json: the keys [host] models or migpipe writes itself. buildCommand and
# installCommand are host.build_command / host.install_command; "$schema" is
# always written; git.deploymentEnabled is always false (only the deploy job
# deploys).
VERCEL_GOVERNED_KEYS = ("$schema", "buildCommand", "installCommand")
VERCEL_GOVERNED_IN_TABLES = {"git": ("deploymentEnabled",)}
# Commands of vercel.json that Vercel runs on its own besides the build and
# install: the Ignored Build Step decides, on Vercel's machines, whether a
# push builds at all.
VERCEL_COMMAND_KEYS = ("ignoreCommand",)


def vercel_problems(extra: Mapping[str, Any]) -> list[str]:
    problems = []
    for key in extra:
        if key in VERCEL_GOVERNED_KEYS:
            where = "written by migpipe itself" if key == "$schema" else "set by [host]"
            problems.append(f"extra.{key}: {where} (expected it {'not here' if key == '$schema' else 'there'})")
    for table, keys in VERCEL_GOVERNED_IN_TABLES.items():
        value = extra.get(table)
        if table in extra and not isinstance(value, Mapping):
            problems.append(f"extra.{table}: must be a table")
            continue
        for key in keys:
            if isinstance(value, Mapping) and key in value:
                problems.append(
                    f"extra.{table}.{key}: always false, so that only the deploy job deploys, after migrate-prod "
                    "(expected it not here)"
                )
    github = extra.get("github")
    if isinstance(github, Mapping) and github.get("enabled", False) is not False:
        problems.append(
            "extra.github.enabled: would turn Vercel's Git deployments back on, outside the deploy job "
            "(expected false or no enabled)"
        )
    for key in VERCEL_COMMAND_KEYS:
        if key in extra and not isinstance(extra[key], str):
            problems.append(f"extra.{key}: must be a command (a string)")
    return problems


def vercel_commands(extra: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(where, command) of each command of the carried vercel.json keys Vercel runs."""
    return [(f"host.extra.{key}", extra[key]) for key in VERCEL_COMMAND_KEYS if isinstance(extra.get(key), str)]
