from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tradeguard.contract.schema import SCHEMAS
from tradeguard.store import open_store
from tradeguard.store.migrate import current_revision, head_revision
from tradeguard.store.tables import CONTRACT_TABLES, load_table_modules


def test_open_store_migrates_to_head_and_matches_the_metadata(db_url: str) -> None:
    with open_store(db_url) as store:
        assert current_revision(store.engine) == head_revision()
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, load_table_modules())
        # A contract column without a migration (or the reverse) shows up here.
        assert diff == []


def test_open_store_twice_is_harmless(db_url: str) -> None:
    open_store(db_url).close()
    with open_store(db_url) as store:
        tables = set(sa.inspect(store.engine).get_table_names())
    assert {"ingest_batches", "quarantine", "superseded_rows", *CONTRACT_TABLES} <= tables


def test_contract_tables_have_every_contract_column() -> None:
    for kind, schema in SCHEMAS.items():
        table = CONTRACT_TABLES[kind]
        for field in schema.fields:
            assert table.c[field.name].nullable is not field.required
        assert {"natural_key", "content_hash", "version", "batch_id", "extra"} <= set(
            table.c.keys()
        )


def test_default_url_comes_from_settings(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TRADEGUARD_DB", f"sqlite:///{tmp_path / 'configured.db'}")
    with open_store() as store:
        assert store.url.endswith("configured.db")
    assert (tmp_path / "configured.db").exists()
