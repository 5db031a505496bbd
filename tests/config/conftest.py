from __future__ import annotations

from pathlib import Path

import pytest

from migpipe.cli import main

# A complete, valid pipeline.toml that leans on defaults, so the tests do not
# break when the example file changes.
MINIMAL_CONFIG = """\
version = 1

[project]
name = "acme-api"

[tool]
name = "prisma"
version = 6

[host]
name = "render"
service_name = "acme-api"
"""

CLI_PREFIX = "migpipe: error: "


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code = code
        self.out = out
        self.err = err

    @property
    def error_lines(self) -> list[str]:
        # Config errors are printed as bare located lines; other errors (output
        # paths) carry "migpipe: error: " in front of their own "path: ..." text.
        return [line.removeprefix(CLI_PREFIX) for line in self.err.splitlines()]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run the real CLI in ``cwd`` and return exit code, stdout and stderr."""

    def run(args: list[str], cwd: Path) -> CliResult:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(args)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
