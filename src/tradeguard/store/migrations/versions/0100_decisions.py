"""Decisions: the transparency log, review / notice / appeal workflow and the access log.

Revision ID: 0100_decisions
Revises: 0090_app
Create Date: 2026-11-25

Frozen history: the tables of ``tradeguard.decisions.tables`` as they were at this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0100_decisions"
down_revision = "0090_app"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("permission", sa.String(length=60), nullable=False),
        sa.Column("resource_kind", sa.String(length=60), nullable=False),
        sa.Column("resource_id", sa.String(length=200), nullable=False),
        sa.Column("importer_id", sa.String(length=100), nullable=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index(op.f("ix_access_log_at"), "access_log", ["at"], unique=False)
    op.create_index(op.f("ix_access_log_importer_id"), "access_log", ["importer_id"], unique=False)
    op.create_index(op.f("ix_access_log_subject_id"), "access_log", ["subject_id"], unique=False)
    op.create_table(
        "decision_actions",
        sa.Column("action_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=120), nullable=False),
        sa.Column("entry_number", sa.String(length=40), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("importer_id", sa.String(length=100), nullable=False),
        sa.Column("officer_id", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("ai_lane", sa.String(length=10), nullable=False),
        sa.Column("officer_lane", sa.String(length=10), nullable=False),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("ai_assisted", sa.Boolean(), nullable=False),
        sa.Column("rationale_commitment", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_decision_actions")),
    )
    op.create_index(
        op.f("ix_decision_actions_entry_number"), "decision_actions", ["entry_number"], unique=False
    )
    op.create_index(
        op.f("ix_decision_actions_importer_id"), "decision_actions", ["importer_id"], unique=False
    )
    op.create_index(
        op.f("ix_decision_actions_item_id"), "decision_actions", ["item_id"], unique=False
    )
    op.create_table(
        "decision_appeal_documents",
        sa.Column("appeal_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("doc_type", sa.String(length=80), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("appeal_id", "position", name=op.f("pk_decision_appeal_documents")),
    )
    op.create_table(
        "decision_appeals",
        sa.Column("appeal_id", sa.String(length=40), nullable=False),
        sa.Column("notice_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("entry_number", sa.String(length=40), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("importer_id", sa.String(length=100), nullable=False),
        sa.Column("filed_by", sa.String(length=200), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grounds_commitment", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("filed_seq", sa.BigInteger(), nullable=False),
        sa.Column("corrections", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reviewer_id", sa.String(length=200), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("reasons_commitment", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_seq", sa.BigInteger(), nullable=True),
        sa.Column("rescored", sa.Text(), nullable=True),
        sa.Column("outcome_row", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("appeal_id", name=op.f("pk_decision_appeals")),
    )
    op.create_index(
        op.f("ix_decision_appeals_entry_number"), "decision_appeals", ["entry_number"], unique=False
    )
    op.create_index(
        op.f("ix_decision_appeals_importer_id"), "decision_appeals", ["importer_id"], unique=False
    )
    op.create_index(
        op.f("ix_decision_appeals_notice_id"), "decision_appeals", ["notice_id"], unique=False
    )
    op.create_index(
        op.f("ix_decision_appeals_status"), "decision_appeals", ["status"], unique=False
    )
    op.create_table(
        "decision_log_heads",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_decision_log_heads")),
    )
    op.create_table(
        "decision_log_records",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("canonical", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_decision_log_records")),
    )
    op.create_index(
        op.f("ix_decision_log_records_event_type"),
        "decision_log_records",
        ["event_type"],
        unique=False,
    )
    op.create_table(
        "decision_notices",
        sa.Column("notice_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("entry_number", sa.String(length=40), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("importer_id", sa.String(length=100), nullable=False),
        sa.Column("action_id", sa.String(length=40), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_decision_notices")),
    )
    op.create_index(
        op.f("ix_decision_notices_case_id"), "decision_notices", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_decision_notices_entry_number"), "decision_notices", ["entry_number"], unique=False
    )
    op.create_index(
        op.f("ix_decision_notices_importer_id"), "decision_notices", ["importer_id"], unique=False
    )
    op.create_table(
        "decision_review_items",
        sa.Column("item_id", sa.String(length=120), nullable=False),
        sa.Column("entry_number", sa.String(length=40), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("importer_id", sa.String(length=100), nullable=False),
        sa.Column("port_of_entry", sa.String(length=10), nullable=True),
        sa.Column("entry_date", sa.Date(), nullable=True),
        sa.Column("risk_score", sa.Double(), nullable=False),
        sa.Column("lane", sa.String(length=10), nullable=False),
        sa.Column("selection", sa.String(length=40), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("reason_texts", sa.Text(), nullable=False),
        sa.Column("forced_by", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("versions", sa.Text(), nullable=False),
        sa.Column("input_digest", sa.String(length=64), nullable=False),
        sa.Column("scored_seq", sa.BigInteger(), nullable=False),
        sa.Column("explanation_commitment", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_decision_review_items")),
    )
    op.create_index(
        op.f("ix_decision_review_items_entry_date"),
        "decision_review_items",
        ["entry_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_decision_review_items_entry_number"),
        "decision_review_items",
        ["entry_number"],
        unique=False,
    )
    op.create_index(
        op.f("ix_decision_review_items_importer_id"),
        "decision_review_items",
        ["importer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_decision_review_items_status"), "decision_review_items", ["status"], unique=False
    )
    op.create_table(
        "decision_sealed",
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("commitment", name=op.f("pk_decision_sealed")),
    )
    op.create_table(
        "decision_training",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("course", sa.String(length=120), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_training")),
    )
    op.create_index(
        op.f("ix_decision_training_subject_id"), "decision_training", ["subject_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_decision_training_subject_id"), table_name="decision_training")
    op.drop_table("decision_training")
    op.drop_table("decision_sealed")
    op.drop_index(op.f("ix_decision_review_items_status"), table_name="decision_review_items")
    op.drop_index(op.f("ix_decision_review_items_importer_id"), table_name="decision_review_items")
    op.drop_index(op.f("ix_decision_review_items_entry_number"), table_name="decision_review_items")
    op.drop_index(op.f("ix_decision_review_items_entry_date"), table_name="decision_review_items")
    op.drop_table("decision_review_items")
    op.drop_index(op.f("ix_decision_notices_importer_id"), table_name="decision_notices")
    op.drop_index(op.f("ix_decision_notices_entry_number"), table_name="decision_notices")
    op.drop_index(op.f("ix_decision_notices_case_id"), table_name="decision_notices")
    op.drop_table("decision_notices")
    op.drop_index(op.f("ix_decision_log_records_event_type"), table_name="decision_log_records")
    op.drop_table("decision_log_records")
    op.drop_table("decision_log_heads")
    op.drop_index(op.f("ix_decision_appeals_status"), table_name="decision_appeals")
    op.drop_index(op.f("ix_decision_appeals_notice_id"), table_name="decision_appeals")
    op.drop_index(op.f("ix_decision_appeals_importer_id"), table_name="decision_appeals")
    op.drop_index(op.f("ix_decision_appeals_entry_number"), table_name="decision_appeals")
    op.drop_table("decision_appeals")
    op.drop_table("decision_appeal_documents")
    op.drop_index(op.f("ix_decision_actions_item_id"), table_name="decision_actions")
    op.drop_index(op.f("ix_decision_actions_importer_id"), table_name="decision_actions")
    op.drop_index(op.f("ix_decision_actions_entry_number"), table_name="decision_actions")
    op.drop_table("decision_actions")
    op.drop_index(op.f("ix_access_log_subject_id"), table_name="access_log")
    op.drop_index(op.f("ix_access_log_importer_id"), table_name="access_log")
    op.drop_index(op.f("ix_access_log_at"), table_name="access_log")
    op.drop_table("access_log")
