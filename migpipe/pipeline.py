"""The model of the whole pipeline.toml: the shared tables joined with the
migration tool's and the host's own tables, as their plugins define them.

It sits above config/ (shared types and tables) and profiles/ (one plugin
per tool and host), and knows no tool or host by name: [tool] and [host]
are discriminated unions built from the registries, and every check that
depends on the host asks its plugin.
"""
from __future__ import annotations

import functools
import operator
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, PrivateAttr, model_validator

from migpipe.config.loader import load_model
from migpipe.config.paths import output_paths
from migpipe.config.tables import CI, Approval, Backup, Deploy, Guards, Outputs, Project, TestDatabase, path_clashes
from migpipe.config.types import Section
from migpipe.markers import canonical_data, source_digest
from migpipe.profiles.hosts.base import HostProfile, HostTable
from migpipe.profiles.hosts.registry import HOSTS, host_profile
from migpipe.profiles.tools.base import ToolProfile, ToolTable
from migpipe.profiles.tools.registry import COMMON_FORBIDDEN, TOOLS, tool_profile

if TYPE_CHECKING:
    # What the rest of migpipe may rely on: a tool's and a host's common base.
    ToolField = ToolTable
    HostField = HostTable
else:
    ToolField = Annotated[
        functools.reduce(operator.or_, (plugin.TABLE for plugin in TOOLS.values())),
        Field(discriminator="name", description="The migration tool; `name` selects its table."),
    ]
    HostField = Annotated[
        functools.reduce(operator.or_, (plugin.TABLE for plugin in HOSTS.values())),
        Field(discriminator="name", description="The hosting platform; `name` selects its table."),
    ]


class Pipeline(Section):
    """pipeline.toml: a team's migration policy, compiled by `migpipe generate`."""

    version: Literal[1] = Field(description="Format version of this file; always 1.")
    project: Project
    tool: ToolField
    host: HostField
    ci: CI = Field(default_factory=CI)
    test_database: TestDatabase = Field(default_factory=TestDatabase)
    guards: Guards = Field(default_factory=Guards)
    approval: Approval = Field(default_factory=Approval)
    backup: Backup = Field(default_factory=Backup)
    deploy: Deploy = Field(default_factory=Deploy)
    outputs: Outputs = Field(default_factory=Outputs)

    # The data this model was validated from, as markers.canonical_data
    # writes it: what the digest in every generated file's header is of.
    _source: str = PrivateAttr(default="")

    @model_validator(mode="wrap")
    @classmethod
    def _remember_source(cls, data: object, handler: Callable[[object], Pipeline]) -> Pipeline:
        pipeline = handler(data)
        if isinstance(data, dict):
            # Only after validation succeeded: a digest always names valid data.
            pipeline._source = canonical_data(data)
        return pipeline

    @property
    def digest(self) -> str:
        """The digest every generated file's header records (see migpipe.markers)."""
        if not self._source:
            raise ValueError("a Pipeline has a digest only when validated from pipeline.toml data")
        # Taken here, not at validation: it reads migpipe's templates and code,
        # which commands that generate nothing (check-build, init) never need.
        return source_digest(self._source)

    @model_validator(mode="after")
    def _cross_checks(self) -> Pipeline:
        # Checks across tables run only once every table is valid on its own.
        problems = []
        known = ", ".join(self.ci.test_jobs) or "no jobs are defined"
        for index, job in enumerate(self.test_database.jobs):
            if job not in self.ci.test_jobs:
                problems.append(
                    f"test_database.jobs[{index}]: {job!r} is not a job in ci.test_jobs (expected one of: {known})"
                )
        host = HOSTS[self.host.name]
        if not host.HAS_DEPLOY_HOOK and "hook_secret" in self.deploy.model_fields_set:
            problems.append(
                f"deploy.hook_secret: only Render deploys through a deploy hook; {self.host.name} reads "
                "its credentials from the secret named in [host] (expected no hook_secret)"
            )
        if self.deploy.mode == "hook" and not host.HAS_DEPLOY_HOOK:
            problems.append(
                f"deploy.mode: 'hook' is Render's deploy hook; {self.host.name} deploys through its API "
                "(expected \"api\")"
            )
        if self.deploy.wait_minutes >= self.ci.deploy_timeout_minutes:
            problems.append(
                f"deploy.wait_minutes: {self.deploy.wait_minutes} leaves no time in the deploy job's "
                f"{self.ci.deploy_timeout_minutes} minutes (expected less than ci.deploy_timeout_minutes)"
            )
        for secret_key, secret in host.credential_secrets(self.host, self.deploy):
            if self.approval.database_url_secret == secret:
                problems.append(
                    f"{secret_key}: must differ from approval.database_url_secret (both are {secret!r})"
                )
        shadow = self.tool_profile().drift_check_env if self.test_database.other_url_envs else None
        for name, secret in self.test_database.other_url_envs.items():
            if name == shadow:
                problems.append(
                    f"test_database.other_url_envs.{name}: is the drift check's shadow database variable, which "
                    "migpipe sets to a throwaway database itself (expected another variable)"
                )
            if secret == self.approval.plan_database_url_secret:
                problems.append(
                    f"test_database.other_url_envs.{name}: {secret!r} is approval.plan_database_url_secret, a "
                    "read-only role's URL; migrate-prod applies with this one (expected the production secret "
                    f"for {name}, e.g. PRODUCTION_{name})"
                )
        production = self.approval.database_url_secret
        for index, step in enumerate(self.deploy.extra_steps):
            for position, name in enumerate(step.secrets):
                if name == production:
                    problems.append(
                        f"deploy.extra_steps[{index}].secrets[{position}]: {name!r} is approval.database_url_secret; "
                        "the production database's secret is never handed to a deploy step (only migrate-prod "
                        "reads it; expected the step's own secrets)"
                    )
        problems.extend(self._team_migration_problems())
        paths = self.output_paths()
        if self.outputs.host_config is None:
            # The host's own file was not there for Outputs to compare.
            problems.extend(
                f"outputs.{key}: {text}" for key, text in path_clashes(paths, self.outputs.model_fields_set)
            )
        else:
            problems.extend(self._host_config_problems(paths["host_config"]))
        for key, path in paths.items():
            if path == self.ci.pipeline_file:
                problems.append(
                    f"outputs.{key}: {path!r} is the policy file itself (ci.pipeline_file); "
                    "generate would overwrite it (expected another path)"
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _team_migration_problems(self) -> list[str]:
        from migpipe.config.team import migration_step_problems

        def is_migration(line: str) -> str | None:
            return next((c.label for c in COMMON_FORBIDDEN if re.search(c.pattern, line)), None)

        problems = migration_step_problems(self.ci.team_jobs, is_migration)
        problems += [
            f"{where}: runs a migration ({label}); the host's commands never migrate (migrations run only in migrate-prod)"
            for where, command in self.host.carried_commands()
            for label in [is_migration(command)]
            if label
        ]
        return problems

    def output_paths(self) -> dict[str, str]:
        """Every output's path, an omitted host_config being the host's own file."""
        host_config = HOSTS[self.host.name].default_config_path(self.project.working_directory)
        return output_paths(self.outputs.model_dump(), host_config)

    def tool_profile(self) -> ToolProfile:
        return tool_profile(self.tool, self)

    def host_profile(self) -> HostProfile:
        return host_profile(self.host, self)

    def _host_config_problems(self, path: str) -> list[str]:
        host = HOSTS[self.host.name]
        expected = host.default_config_path(self.project.working_directory)
        if host.CONFIG_PATH_IS_FIXED and path != expected:
            return [
                f"outputs.host_config: {self.host.name} reads its config only from {expected!r}, "
                f"the root of the source it deploys (expected {expected!r} or no host_config)"
            ]
        return []


def load_pipeline(path: str | os.PathLike[str], display: str | None = None) -> Pipeline:
    """Load and validate a pipeline file. Raises ConfigError with every problem.

    ``display`` names the file in messages; by default it is ``path`` exactly
    as the user typed it.
    """
    return load_model(Pipeline, path, display)

