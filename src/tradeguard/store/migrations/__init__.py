"""Alembic migrations of the tradeguard database (run through tradeguard.store.migrate)."""
