"""Money a finance officer can rely on: the forecast method a pool chose (versioned), partners' own monthly
forecasts, and the settlements that were reopened (kept as they were posted, with the reason).

Revision ID: 0008_pool_money
Revises: 0007_versions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_pool_money"
down_revision = "0007_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pool_forecast_methods",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pool_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("method", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("set_at", sa.String(40), nullable=False),
        sa.Column("set_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pool_forecast_methods"),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"], name="fk_pool_forecast_methods_pool_id_pools"),
        sa.UniqueConstraint("pool_id", "version", name="uq_pool_forecast_methods_pool_version"),
    )
    op.create_index("ix_pool_forecast_methods_pool_id", "pool_forecast_methods", ["pool_id"])
    op.create_table(
        "pool_forecast_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pool_id", sa.Integer, nullable=False),
        sa.Column("year", sa.String(7), nullable=False),
        sa.Column("scheme", sa.String(60), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("partner", sa.String(200), nullable=False),
        sa.Column("entered_at", sa.String(40), nullable=False),
        sa.Column("entered_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pool_forecast_entries"),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"], name="fk_pool_forecast_entries_pool_id_pools"),
    )
    op.create_index("ix_pool_forecast_entries_pool_id", "pool_forecast_entries", ["pool_id"])
    op.create_table(
        "pool_reopened",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pool_id", sa.Integer, nullable=False),
        sa.Column("year", sa.String(7), nullable=False),
        sa.Column("txn_id", sa.Integer, nullable=True),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("settled_at", sa.String(40), nullable=False),
        sa.Column("settled_by", sa.String(80), nullable=False),
        sa.Column("reopened_at", sa.String(40), nullable=False),
        sa.Column("reopened_by", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pool_reopened"),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"], name="fk_pool_reopened_pool_id_pools"),
        sa.ForeignKeyConstraint(["txn_id"], ["ledger_txns.id"], name="fk_pool_reopened_txn_id_ledger_txns"),
    )
    op.create_index("ix_pool_reopened_pool_id", "pool_reopened", ["pool_id"])


def downgrade() -> None:
    op.drop_index("ix_pool_reopened_pool_id", table_name="pool_reopened")
    op.drop_table("pool_reopened")
    op.drop_index("ix_pool_forecast_entries_pool_id", table_name="pool_forecast_entries")
    op.drop_table("pool_forecast_entries")
    op.drop_index("ix_pool_forecast_methods_pool_id", table_name="pool_forecast_methods")
    op.drop_table("pool_forecast_methods")
