"""Helpers for the Fly.io and Heroku host tests: a pipeline.toml per host, compiled."""
from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from migpipe.cli import main
from migpipe.compiler import GeneratedFile, compile_pipeline
from migpipe.pipeline import load_pipeline

HEAD = """\
version = 1

[project]
name = "acme"
working_directory = "{workdir}"

[tool]
name = "prisma"
version = 6

"""

FLY = HEAD + """\
[host]
name = "fly"
app = "acme-api"
{extra}
"""

HEROKU = HEAD + """\
[host]
name = "heroku"
app = "acme-api"
{extra}
"""


def write_config(directory: Path, template: str, extra: str = "", workdir: str = ".", tail: str = "") -> Path:
    config = directory / "pipeline.toml"
    config.write_text(template.format(extra=extra, workdir=workdir) + tail, encoding="utf-8")
    return config


def compiled(config: Path) -> dict[str, GeneratedFile]:
    return {file.kind: file for file in compile_pipeline(load_pipeline(config))}


def deploy_job(files: dict[str, GeneratedFile]) -> dict:
    return YAML(typ="safe").load(files["workflow"].content)["jobs"]["deploy"]


class CliRun:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run the real CLI in a directory; exit code, stdout, stderr."""

    def run(args: list[str], cwd: Path) -> CliRun:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(args)
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run
