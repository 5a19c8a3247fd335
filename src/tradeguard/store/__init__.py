"""Storage: SQLAlchemy tables, Alembic migrations shipped in the package, bulk loading.

:func:`open_store` is the way in: it builds an engine from a URL (embedded SQLite by default,
``postgresql+psycopg://...`` in production) and upgrades the database to the newest
migration on first use. The schema is one :data:`~tradeguard.store.tables.metadata`; other
areas extend it through their own migration files (see ``migrations/README.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from tradeguard.settings import Settings, get_settings
from tradeguard.store import migrate
from tradeguard.store.engine import make_engine, normalise_url
from tradeguard.store.tables import CONTRACT_TABLES, metadata


@dataclass
class Store:
    """An open database: the engine, and the URL it was opened with (password hidden)."""

    engine: sa.Engine

    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resolve_url(url: str | None = None, settings: Settings | None = None) -> str:
    """``url`` if given, else ``Settings.db`` (``TRADEGUARD_DB``), default ``sqlite:///tradeguard.db``."""
    if url:
        return url
    return (settings or get_settings()).db


def open_store(url: str | None = None, *, settings: Settings | None = None) -> Store:
    """Open the database at ``url`` (or the configured one), migrating it to the newest schema."""
    parsed = normalise_url(resolve_url(url, settings))
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(parsed)
    if migrate.current_revision(engine) != migrate.head_revision():
        migrate.upgrade(engine)
    return Store(engine)


__all__ = ["CONTRACT_TABLES", "Store", "make_engine", "metadata", "open_store", "resolve_url"]
