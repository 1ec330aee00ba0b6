"""Linkage runs: each run of a purpose's record linkage into people and households, with its figures.

Revision ID: 0010_link_runs
Revises: 0008_pool_money (the lead rechains it after 0009 at merge)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_link_runs"
down_revision = "0009_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("model_version", sa.Integer, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("backend", sa.String(20), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.Column("households", sa.Integer, nullable=False),
        sa.Column("links", sa.Integer, nullable=False),
        sa.Column("people_issued", sa.Integer, nullable=False),
        sa.Column("households_issued", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("people_path", sa.String(200), nullable=False),
        sa.Column("links_path", sa.String(200), nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("run_at", sa.String(40), nullable=False),
        sa.Column("run_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_link_runs"),
    )
    op.create_index("ix_link_runs_purpose", "link_runs", ["purpose"])


def downgrade() -> None:
    op.drop_index("ix_link_runs_purpose", table_name="link_runs")
    op.drop_table("link_runs")
