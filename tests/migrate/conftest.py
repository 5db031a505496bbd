"""Fixtures for the tests that run the generated migrate-with-guards.sh."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.migrate.project import MigrateProject
from tests.support.postgres import PostgresServer


@pytest.fixture
def make_project(tmp_path: Path, postgres_server: PostgresServer, fresh_database: str):
    """Builds a MigrateProject in a tmp repo on this test's fresh database."""

    def build(**options) -> MigrateProject:
        return MigrateProject(tmp_path / "repo", postgres_server, fresh_database, **options)

    return build
