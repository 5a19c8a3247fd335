"""Alembic environment: runs on the connection handed in by :mod:`tradeguard.store.migrate`."""

from __future__ import annotations

from alembic import context

from tradeguard.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when run from a bare alembic CLI
    raise RuntimeError("run migrations through tradeguard.store.migrate.upgrade(engine)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
