"""Pooled funds: agreements and their versions, the double-entry ledger, stored balances and settlements.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pools",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("budget_type", sa.String(20), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pools"),
        sa.UniqueConstraint("name", name="uq_pools_name"),
    )
    op.create_table(
        "pool_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pool_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("effective_from", sa.String(10), nullable=False),
        sa.Column("agreement", sa.Text, nullable=False),
        sa.Column("source_yaml", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pool_versions"),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"], name="fk_pool_versions_pool_id_pools"),
        sa.UniqueConstraint("pool_id", "version", name="uq_pool_versions_pool_version"),
    )
    op.create_index("ix_pool_versions_pool_id", "pool_versions", ["pool_id"])
    op.create_table(
        "ledger_txns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pool_id", sa.Integer, nullable=False),
        sa.Column("idem_key", sa.String(200), nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("effective_date", sa.String(10), nullable=False),
        sa.Column("year", sa.String(7), nullable=False),
        sa.Column("memo", sa.Text, nullable=False),
        sa.Column("reverses_id", sa.Integer, nullable=True),
        sa.Column("posted_at", sa.String(40), nullable=False),
        sa.Column("posted_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_txns"),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"], name="fk_ledger_txns_pool_id_pools"),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["ledger_txns.id"], name="fk_ledger_txns_reverses_id_ledger_txns"
        ),
        sa.UniqueConstraint("pool_id", "idem_key", name="uq_ledger_txns_pool_key"),
        sa.UniqueConstraint("reverses_id", name="uq_ledger_txns_reverses_id"),
    )
    op.create_index("ix_ledger_txns_pool_id", "ledger_txns", ["pool_id"])
    op.create_index("ix_ledger_txns_effective_date", "ledger_txns", ["effective_date"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("txn_id", sa.Integer, nullable=False),
        sa.Column("pool_id", sa.Integer, nullable=False),
        sa.Column("account", sa.String(120), nullable=False),
        sa.Column("partner", sa.String(200), nullable=True),
        sa.Column("scheme", sa.String(60), nullable=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_entries"),
        sa.ForeignKeyConstraint(["txn_id"], ["ledger_txns.id"], name="fk_ledger_entries_txn_id_ledger_txns"),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"], name="fk_ledger_entries_pool_id_pools"),
    )
    op.create_index("ix_ledger_entries_txn_id", "ledger_entries", ["txn_id"])
    op.create_table(
        "ledger_balances",
        sa.Column("pool_id", sa.Integer, nullable=False),
        sa.Column("account", sa.String(120), nullable=False),
        sa.Column("balance", sa.BigInteger, nullable=False),
        sa.Column("postings", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "account", name="pk_ledger_balances"),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"], name="fk_ledger_balances_pool_id_pools"),
    )
    op.create_table(
        "pool_settlements",
        sa.Column("pool_id", sa.Integer, nullable=False),
        sa.Column("year", sa.String(7), nullable=False),
        sa.Column("txn_id", sa.Integer, nullable=True),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("settled_at", sa.String(40), nullable=False),
        sa.Column("settled_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "year", name="pk_pool_settlements"),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"], name="fk_pool_settlements_pool_id_pools"),
        sa.ForeignKeyConstraint(
            ["txn_id"], ["ledger_txns.id"], name="fk_pool_settlements_txn_id_ledger_txns"
        ),
    )


def downgrade() -> None:
    for table in (
        "pool_settlements",
        "ledger_balances",
        "ledger_entries",
        "ledger_txns",
        "pool_versions",
        "pools",
    ):
        op.drop_table(table)
