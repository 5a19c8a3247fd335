"""The database schema: one SQLAlchemy :data:`metadata` for the whole application.

The contract tables (``entries``, ``lines``, ``packages``, ``supply_chain``, ``outcomes``) are
generated from :data:`tradeguard.contract.schema.SCHEMAS`, each with the same bookkeeping
columns:

- ``natural_key`` — the contract key as one string (``ABC-1234567-8|3`` for a line), unique;
- ``content_hash`` — SHA-256 of the row's content, to tell "already present" from "amended";
- ``version`` — 1 when first loaded, +1 for every amendment (old versions in
  ``superseded_rows``);
- ``batch_id`` — the ingest batch that loaded the current version;
- ``extra`` — the file's unknown columns as a JSON object (text), kept rather than rejected.

Other areas add their own tables to the same :data:`metadata` (in their own module, e.g.
``tradeguard/decisions/tables.py``) and their own migration file in
``tradeguard/store/migrations/versions/`` chained on the current head; see that folder's
README. ``tests/store`` checks that the migrations produce exactly this metadata.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tradeguard.contract.schema import SCHEMAS, DType, FileSchema

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

SQL_TYPES: dict[DType, type[sa.types.TypeEngine[Any]]] = {
    DType.TEXT: sa.Text,
    DType.INT: sa.Integer,
    DType.NUMBER: sa.Double,
    DType.DATE: sa.Date,
    DType.BOOL: sa.Boolean,
}

ingest_batches = sa.Table(
    "ingest_batches",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("encoding", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running | done | failed
    sa.Column("rows_read", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("accepted", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rejected", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("inserted", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("amended", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("already_present", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rejects_file", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Index(None, "sha256"),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("ingest_batches.id"), nullable=False),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("row_number", sa.BigInteger, nullable=False),
    sa.Column("fields", sa.Text, nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),
    sa.Column("raw_row", sa.Text, nullable=False),  # JSON object of the cells as sent
    sa.Index(None, "batch_id"),
)

superseded_rows = sa.Table(
    "superseded_rows",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("table_name", sa.String(64), nullable=False),
    sa.Column("natural_key", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("row", sa.Text, nullable=False),  # JSON object of the superseded version
    sa.Column("batch_id", sa.BigInteger, nullable=False),  # batch that loaded that version
    sa.Column(
        "superseded_by_batch_id",
        sa.BigInteger,
        sa.ForeignKey("ingest_batches.id"),
        nullable=False,
    ),
    sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index(None, "table_name", "natural_key"),
)


def _contract_table(schema: FileSchema) -> sa.Table:
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("natural_key", sa.Text, nullable=False, unique=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("ingest_batches.id"), nullable=False),
    ]
    columns += [
        sa.Column(f.name, SQL_TYPES[f.dtype](), nullable=not f.required) for f in schema.fields
    ]
    columns.append(sa.Column("extra", sa.Text))
    if "entry_number" in schema.names and schema.key != ("entry_number",):
        columns.append(sa.Index(None, "entry_number"))
    return sa.Table(schema.table, metadata, *columns)


#: kind -> table, for every contract file.
CONTRACT_TABLES: dict[str, sa.Table] = {kind: _contract_table(s) for kind, s in SCHEMAS.items()}

#: Modules of other areas that define tables on :data:`metadata`; imported by
#: :func:`load_table_modules` so the metadata is complete (a module not yet written is skipped).
TABLE_MODULES: tuple[str, ...] = ("tradeguard.store.app_tables", "tradeguard.decisions.tables")


def load_table_modules() -> sa.MetaData:
    """Import every module in :data:`TABLE_MODULES` and return the complete metadata."""
    import importlib

    for name in TABLE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return metadata
