"""The outcomes framework's versions, exception letters and comparator sets.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outcome_frameworks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("yaml", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outcome_frameworks"),
    )
    op.create_table(
        "exception_letters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("indicator_id", sa.String(60), nullable=False),
        sa.Column("area_code", sa.String(20), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("addressee", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("drafted_at", sa.String(40), nullable=False),
        sa.Column("drafted_by", sa.String(80), nullable=False),
        sa.Column("plan", sa.Text, nullable=True),
        sa.Column("remedy_by", sa.String(10), nullable=True),
        sa.Column("answered_at", sa.String(40), nullable=True),
        sa.Column("answered_by", sa.String(80), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_exception_letters"),
        sa.UniqueConstraint("indicator_id", "area_code", "period", name="uq_exception_letters_indicator_id"),
    )

    op.create_table(
        "comparator_sets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("area_code", sa.String(20), nullable=False),
        sa.Column("members", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_comparator_sets"),
    )


def downgrade() -> None:
    op.drop_table("comparator_sets")
    op.drop_table("exception_letters")
    op.drop_table("outcome_frameworks")
