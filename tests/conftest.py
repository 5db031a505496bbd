from __future__ import annotations

from pathlib import Path

import pytest

# The real PostgreSQL server (session-scoped: one per test run) and a fresh
# database per test, for every test folder.
pytest_plugins = ["tests.support.fixtures"]

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
EXAMPLE_CONFIG = REPO_ROOT / "pipeline.example.toml"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/*/expected from the current templates (review the diff!)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def golden_configs() -> dict[str, Path]:
    """name -> pipeline.toml: the example plus every tests/golden/<name>/pipeline.toml."""
    configs = {"example": EXAMPLE_CONFIG}
    for config in sorted(GOLDEN_DIR.glob("*/pipeline.toml")):
        configs[config.parent.name] = config
    return configs
