"""Shared fixtures.

Fixture policy: use the smallest data set that shows the behaviour, built inline where
possible; the demo generator is for integration tests that need every category at once.
PostgreSQL tests use TRADEGUARD_TEST_PG; under CI they must run, elsewhere they skip when no
server answers.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of the real PostgreSQL server for storage tests (skips outside CI if unreachable)."""
    url = os.environ.get(
        "TRADEGUARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            raise RuntimeError(f"PostgreSQL required in CI but not reachable at {url}") from exc
        pytest.skip(f"PostgreSQL not reachable at {url}")
    return url
