from __future__ import annotations

from tests.support.fixtures import postgres_server  # noqa: F401  (session-scoped real PostgreSQL)
