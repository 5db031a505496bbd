"""Shared pytest fixtures, registered for every test by ``pytest_plugins`` in
tests/conftest.py (so the session-scoped server starts once per run)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import PostgresServer, PostgresUnavailable, start_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole session, stopped at the end.

    Fails (never skips) when the machine has no PostgreSQL server binaries.
    """
    try:
        server = start_postgres()
    except PostgresUnavailable as error:
        pytest.fail(f"cannot start PostgreSQL for the tests: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_database(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """The name of a new, empty database on ``postgres_server``, for this test only."""
    return postgres_server.create_database(request.node.name)
