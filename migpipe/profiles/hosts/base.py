"""What every host plugin is made of.

A host plugin is a module under migpipe/profiles/hosts/ registered in
``registry.HOSTS``; ``HostPlugin`` says what it holds: its name, its own
table of pipeline.toml (a ``HostTable``), where it reads its config file,
which secrets hold its deploy credentials, and ``build``, which turns its
validated table into a ``HostProfile``.

A host profile says which config file the host reads (and its template),
which of that file's commands the host runs on its own (the build guard
follows each), and how the deploy job triggers a deploy. The config it
generates must be build-only: no entry point may run a migration, and
nothing deploys except the deploy job.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import Field

from migpipe.config.tables import Deploy, SharedTables
from migpipe.config.types import Section


@dataclass(frozen=True)
class EntryPoint:
    """A command the host runs on its own: the build guard follows each one."""

    field: str  # the key in the host's config file (e.g. buildCommand)
    stage: str  # build / pre-deploy / release / start
    command: str
    config_key: str  # the key under [host] in pipeline.toml (e.g. build_command)


@dataclass(frozen=True)
class DeployStep:
    """A step the deploy job runs before `migpipe deploy` (installing the host's CLI).

    It gets no secret: only `migpipe deploy` does, through env.
    """

    name: str
    run: str | None = None
    uses: str | None = None  # a key of migpipe.pins.ACTIONS
    with_: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HostProfile:
    name: str
    label: str
    config_template: str  # under templates/hosts/
    entry_points: tuple[EntryPoint, ...]
    deploy_steps: tuple[DeployStep, ...]
    # Files in the repository the host also runs from (a Dockerfile it
    # builds, package.json lifecycle scripts its buildpack runs); the build
    # guard follows them too. Paths relative to the working directory.
    followed_files: tuple[str, ...] = field(default=())
    # The secrets `migpipe deploy` reads, each passed to it as an env var of
    # the same name (migpipe.runtime.deploy reads them from there).
    deploy_secret_names: tuple[str, ...] = field(default=())
    # The runbook's words for where automatic deploys are turned off.
    auto_deploy_note: str = ""
    # The runbook's words for how the deploy job deploys (the flowchart's box).
    deploy_method: str = ""
    # Secrets the deploy job reads from its environment, with what to paste
    # into each; the runbook tells how to create them.
    deploy_secrets: tuple[tuple[str, str], ...] = field(default=())
    # Values the host's config template needs beyond pipeline.toml's own
    # (e.g. a path made relative to where the config file is written).
    config_values: Mapping[str, str] = field(default_factory=dict)
    # How a comment starts in the config file: "#" for YAML, TOML and the
    # Procfile; "" for a format without comments (vercel.json), whose file
    # then carries no header and is recorded as migpipe's in the manifest.
    config_comment: str = "#"
    # A host CLI the deploy job installs with `npm ci` from a manifest and
    # lockfile shipped inside migpipe: the folder holding them ("" for none).
    # `migpipe host-cli DIR` copies them to DIR.
    cli_manifest: str = ""
    # Files the host would read instead of (or besides) the config migpipe
    # writes, relative to the working directory: generate refuses while one
    # exists, since what the build guard checked would not be what runs.
    competing_configs: tuple[str, ...] = field(default=())
    # The runbook's section on this host: paragraphs of migpipe's own
    # Markdown (no value from pipeline.toml), each a bullet.
    runbook_notes: tuple[str, ...] = field(default=())


class HostTable(Section):
    """The [host] table: ``name`` selects the plugin whose table this is."""

    name: str = Field(description="Hosting platform.")

    def carried_commands(self) -> list[tuple[str, str]]:
        """(key path, command) of each command of the team's config carried as written: none may migrate."""
        return []

    def template_extras(self, working_directory: str) -> dict[str, Any]:
        """The carried parts of the host's config, as text its template inserts ({} when nothing is carried)."""
        return {}


class HostPlugin(Protocol):
    """A host module, as migpipe.profiles.hosts.registry holds it.

    Its constants are read-only here, so a module's narrower types satisfy
    them (``TABLE: type[PrismaTool]``).
    """

    # The value of [host] name that selects this plugin.
    @property
    def NAME(self) -> str: ...
    # Its table of pipeline.toml (its ``name`` is ``Literal[NAME]``).
    @property
    def TABLE(self) -> type[HostTable]: ...
    # True when the host reads its config from nowhere but
    # ``default_config_path``, so outputs.host_config may not move it.
    @property
    def CONFIG_PATH_IS_FIXED(self) -> bool: ...
    # True when it can deploy through a deploy hook (deploy.mode = "hook")
    # whose URL is the secret deploy.hook_secret names; every host deploys
    # through its API with the credentials named in [host].
    @property
    def HAS_DEPLOY_HOOK(self) -> bool: ...

    def default_config_path(self, working_directory: str, /) -> str:
        """Where the host reads its config when outputs.host_config is omitted."""
        ...

    def credential_secrets(self, host: Any, deploy: Deploy, /) -> list[tuple[str, str]]:
        """Where each deploy credential's secret name is set (a key path), and that name."""
        ...

    def build(self, host: Any, shared: SharedTables, /) -> HostProfile:
        """The profile of a validated ``TABLE`` (typed Any: each plugin takes its own)."""
        ...
