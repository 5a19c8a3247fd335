"""Foundation: ingest batches, quarantine, superseded rows and the five contract tables.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-25

Frozen history: the columns are spelled out here rather than derived from the contract, so a
later change to the contract needs its own migration (the store tests insist on it).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _contract_table(name: str, *columns: sa.Column[Any]) -> None:
    """A contract table: bookkeeping columns, the contract's columns, then ``extra``."""
    op.create_table(
        name,
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("natural_key", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        *columns,
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["ingest_batches.id"], name=op.f(f"fk_{name}_batch_id_ingest_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("natural_key", name=op.f(f"uq_{name}_natural_key")),
    )


def _col(name: str, type_: sa.types.TypeEngine[Any], required: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=not required)


def upgrade() -> None:
    op.create_table(
        "ingest_batches",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_read", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("accepted", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rejected", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("inserted", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("amended", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("already_present", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rejects_file", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_batches")),
    )
    op.create_index(op.f("ix_ingest_batches_sha256"), "ingest_batches", ["sha256"])

    op.create_table(
        "quarantine",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("row_number", sa.BigInteger(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("raw_row", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["ingest_batches.id"], name=op.f("fk_quarantine_batch_id_ingest_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    op.create_index(op.f("ix_quarantine_batch_id"), "quarantine", ["batch_id"])

    op.create_table(
        "superseded_rows",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("natural_key", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("row", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("superseded_by_batch_id", sa.BigInteger(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["superseded_by_batch_id"],
            ["ingest_batches.id"],
            name=op.f("fk_superseded_rows_superseded_by_batch_id_ingest_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_superseded_rows")),
    )
    op.create_index(
        op.f("ix_superseded_rows_table_name_natural_key"),
        "superseded_rows",
        ["table_name", "natural_key"],
    )

    text, date, boolean, integer = sa.Text(), sa.Date(), sa.Boolean(), sa.Integer()
    double: sa.Double[float] = sa.Double()
    _contract_table(
        "entries",
        _col("entry_number", text, True),
        _col("entry_type", text, True),
        _col("entry_date", date, True),
        _col("port_of_entry", text, True),
        _col("importer_id", text, True),
        _col("importer_name", text, True),
        _col("importer_country", text),
        _col("filer_code", text),
        _col("mode_of_transport", text),
        _col("country_of_export", text),
        _col("port_of_lading", text),
        _col("bill_of_lading", text),
        _col("carrier_code", text),
        _col("trusted_trader", boolean),
    )
    _contract_table(
        "lines",
        _col("entry_number", text, True),
        _col("line_number", integer, True),
        _col("hts_code", text, True),
        _col("description", text, True),
        _col("country_of_origin", text, True),
        _col("quantity", double, True),
        _col("quantity_unit", text, True),
        _col("entered_value_usd", double, True),
        _col("gross_weight_kg", double),
        _col("manufacturer_id", text),
        _col("manufacturer_name", text),
        _col("manufacturer_address", text),
        _col("manufacturer_country", text),
        _col("seller_name", text),
        _col("seller_country", text),
        _col("duty_rate", double),
        _col("duty_usd", double),
        _col("chapter99_numbers", text),
        _col("additional_duty_usd", double),
        _col("adcvd_deposit_usd", double),
        _col("adcvd_case_number", text),
        _col("spi", text),
        _col("related_party", boolean),
    )
    op.create_index(op.f("ix_lines_entry_number"), "lines", ["entry_number"])
    _contract_table(
        "packages",
        _col("package_id", text, True),
        _col("arrival_date", date, True),
        _col("port_of_entry", text, True),
        _col("shipper_name", text, True),
        _col("shipper_country", text, True),
        _col("consignee_name", text, True),
        _col("consignee_address", text, True),
        _col("declared_value_usd", double, True),
        _col("description", text, True),
        _col("hts_code", text),
        _col("weight_kg", double),
        _col("country_of_origin", text),
        _col("carrier_code", text),
        _col("seller_id", text),
    )
    _contract_table(
        "supply_chain",
        _col("entry_number", text, True),
        _col("line_number", integer),
        _col("tier", integer, True),
        _col("supplier_name", text, True),
        _col("supplier_country", text, True),
        _col("supplier_address", text),
        _col("material", text),
        _col("buyer_name", text),
    )
    op.create_index(op.f("ix_supply_chain_entry_number"), "supply_chain", ["entry_number"])
    _contract_table(
        "outcomes",
        _col("entry_number", text, True),
        _col("line_number", integer),
        _col("examined", boolean, True),
        _col("discrepancy", boolean, True),
        _col("category", text),
        _col("recovered_duty_usd", double),
        _col("decided_on", date),
    )
    op.create_index(op.f("ix_outcomes_entry_number"), "outcomes", ["entry_number"])


def downgrade() -> None:
    for table in ("outcomes", "supply_chain", "packages", "lines", "entries"):
        op.drop_table(table)
    op.drop_table("superseded_rows")
    op.drop_table("quarantine")
    op.drop_table("ingest_batches")
