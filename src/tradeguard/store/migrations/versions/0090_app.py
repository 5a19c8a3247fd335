"""Service tables: user accounts, API keys, stored assessments and findings, batch jobs.

Revision ID: 0090_app
Revises: 0001_foundation
Create Date: 2026-11-26

Frozen history: columns are spelled out rather than read from ``tradeguard.store.app_tables``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0090_app"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "app_users",
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("importer_id", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_app_users")),
    )
    op.create_table(
        "app_api_keys",
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("importer_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("revoked_at", When, nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_app_api_keys")),
    )
    op.create_table(
        "app_assessments",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("entry_number", sa.String(length=40), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("importer_id", sa.String(length=100), nullable=True),
        sa.Column("port_of_entry", sa.String(length=10), nullable=True),
        sa.Column("entry_date", sa.Date(), nullable=True),
        sa.Column("risk_score", sa.Double(), nullable=False),
        sa.Column("lane", sa.String(length=10), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("input_digest", sa.String(length=64), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("scored_at", When, nullable=False),
        sa.Column("log_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_assessments")),
    )
    op.create_index(
        op.f("ix_app_assessments_entry_number_line_number"),
        "app_assessments",
        ["entry_number", "line_number"],
    )
    op.create_index(op.f("ix_app_assessments_importer_id"), "app_assessments", ["importer_id"])
    op.create_index(
        op.f("ix_app_assessments_port_of_entry_entry_date"),
        "app_assessments",
        ["port_of_entry", "entry_date"],
    )
    op.create_table(
        "app_findings",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("entry_number", sa.String(length=40), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=True),
        sa.Column("importer_id", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("reason_code", sa.String(length=80), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("detector", sa.String(length=80), nullable=False),
        sa.Column("detector_version", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_findings")),
    )
    op.create_index(op.f("ix_app_findings_entry_number"), "app_findings", ["entry_number"])
    op.create_index(op.f("ix_app_findings_importer_id"), "app_findings", ["importer_id"])
    op.create_index(op.f("ix_app_findings_category"), "app_findings", ["category"])
    op.create_table(
        "app_jobs",
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("importer_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("finished_at", When, nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_app_jobs")),
    )


def downgrade() -> None:
    for table in ("app_jobs", "app_findings", "app_assessments", "app_api_keys", "app_users"):
        op.drop_table(table)
