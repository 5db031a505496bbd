"""Each fact in one place: what the model, the compiler and init share is defined once.

These check that the places that use a fact read it from where it is
defined, by comparing what each produces.
"""
from __future__ import annotations

import typing

from ruamel.yaml import YAML

from migpipe.adopt import detect, toml_text, workflows
from migpipe.compiler import compile_pipeline
from migpipe.config.tables import GENERATED_JOB_IDS, INSTALL_COMMANDS, Approval, Backup, Guards, Project
from migpipe.pipeline import load_pipeline
from migpipe.profiles.hosts.render import REGIONS, RUNTIMES, RenderHost
from tests.conftest import EXAMPLE_CONFIG


def test_the_generated_job_ids_are_the_reserved_ones() -> None:
    pipeline = load_pipeline(EXAMPLE_CONFIG)
    workflow = next(file for file in compile_pipeline(pipeline) if file.kind == "workflow")
    jobs = set(YAML(typ="safe").load(workflow.content)["jobs"])
    ours = jobs - set(pipeline.ci.test_jobs) - set(pipeline.ci.team_jobs)
    assert ours == set(GENERATED_JOB_IDS)
    assert workflows.RESERVED_JOB_IDS == GENERATED_JOB_IDS


def test_package_managers_are_the_install_commands_keys() -> None:
    annotation = Project.model_fields["package_manager"].annotation
    assert set(typing.get_args(annotation)) == set(INSTALL_COMMANDS)
    assert detect.INSTALL_COMMANDS is INSTALL_COMMANDS


def test_render_runtimes_and_regions_are_the_models() -> None:
    assert set(typing.get_args(RenderHost.model_fields["runtime"].annotation)) == set(RUNTIMES)
    region = RenderHost.model_fields["region"].annotation
    assert {value for arg in typing.get_args(region) for value in typing.get_args(arg)} == set(REGIONS)
    assert (detect.RENDER_RUNTIMES, detect.RENDER_REGIONS) == (RUNTIMES, REGIONS)


def test_init_writes_the_models_defaults() -> None:
    import tomllib

    written = tomllib.loads(toml_text._policy_sections())
    guards, approval = Guards(), Approval()
    assert written["guards"] == {"lock_timeout": guards.lock_timeout, "statement_timeout": guards.statement_timeout}
    assert written["approval"] == {
        "environment": approval.environment,
        "database_url_secret": approval.database_url_secret,
    }
    assert written["backup"] == {"mode": Backup().mode}
