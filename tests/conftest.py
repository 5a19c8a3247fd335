"""Shared fixtures.

Fixture policy: use the smallest data set that shows the behaviour, built inline where
possible; the demo generator is for integration tests that need every category at once.
PostgreSQL tests use TRADEGUARD_TEST_PG; under CI they must run, elsewhere they skip when no
server answers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

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


# The public data sets sit in ``shared/data`` beside the checkout.
_BESIDE_CHECKOUT = Path(__file__).resolve().parents[2] / "shared" / "data"
SHARED_DATA = Path(os.environ.get("TRADEGUARD_SHARED_DATA", _BESIDE_CHECKOUT))


@pytest.fixture(scope="session")
def shared_file() -> Callable[[str], Path]:
    """Path of a public data set in ``../shared/data`` (``TRADEGUARD_SHARED_DATA`` overrides).

    A missing data set fails under CI (a silently skipped test proves nothing) and skips
    elsewhere.
    """

    def find(relative: str) -> Path:
        path = SHARED_DATA / relative
        if not path.exists():
            if os.environ.get("CI"):
                raise FileNotFoundError(f"shared data set missing in CI: {path}")
            pytest.skip(f"shared data set absent: {path}")
        return path

    return find


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remember the run's verdict for :func:`pytest_unconfigure`."""
    _EXIT_STATUS.append(int(exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    """End the process with the run's verdict once pytest has reported everything.

    After a full run, interpreter teardown can abort inside a native library's static
    destructors ("terminate called without an active exception", a worker thread still
    joinable at exit) even though every test passed; the verdict must be the tests', not the
    teardown's. Nothing runs after this hook but that teardown.
    """
    if _EXIT_STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo data set (3,000 entries, seed 11) shared by the tests that compare the request
    path with the general one and by the pipeline tests (generating it takes seconds)."""
    from tradeguard.demo import generate_demo_data

    out = tmp_path_factory.mktemp("demo")
    generate_demo_data(out, entries=3000, seed=11)
    return out
