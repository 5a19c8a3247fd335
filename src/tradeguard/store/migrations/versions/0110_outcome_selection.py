"""Outcomes: the optional ``selection_probability`` column (unbiased evaluation and training).

Revision ID: 0110_outcome_selection
Revises: 0100_decisions
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0110_outcome_selection"
down_revision = "0100_decisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outcomes", sa.Column("selection_probability", sa.Double(), nullable=True))


def downgrade() -> None:
    op.drop_column("outcomes", "selection_probability")
