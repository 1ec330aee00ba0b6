"""Records about people: pseudonym key generations, the provenance of person_records batches, and the
national data opt-out lists (as pseudonyms).

Revision ID: 0009_records
Revises: 0008_pool_money
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_records"
down_revision = "0008_pool_money"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pseudonym_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("fingerprint", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pseudonym_keys"),
        sa.UniqueConstraint("purpose", "generation", name="uq_pseudonym_keys_purpose"),
    )
    op.create_table(
        "record_batches",
        sa.Column("batch_id", sa.Integer, nullable=False),
        sa.Column("agreement", sa.String(63), nullable=False),
        sa.Column("agreement_version", sa.Integer, nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("source", sa.String(63), nullable=False),
        sa.Column("key_generation", sa.Integer, nullable=False),
        sa.Column("records_read", sa.Integer, nullable=False),
        sa.Column("dropped", sa.Text, nullable=False),
        sa.Column("opt_out", sa.Text, nullable=False),
        sa.Column("identities_path", sa.String(500), nullable=True),
        sa.Column("identities_sha256", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("batch_id", name="pk_record_batches"),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name="fk_record_batches_batch_id_batches"),
    )
    op.create_index("ix_record_batches_purpose", "record_batches", ["purpose"])
    op.create_table(
        "optout_lists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("list_date", sa.String(10), nullable=False),
        sa.Column("expires", sa.String(10), nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("key_generation", sa.Integer, nullable=False),
        sa.Column("imported_at", sa.String(40), nullable=False),
        sa.Column("imported_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_optout_lists"),
    )
    op.create_table(
        "optout_entries",
        sa.Column("list_id", sa.Integer, nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("list_id", "pseudonym", name="pk_optout_entries"),
        sa.ForeignKeyConstraint(
            ["list_id"], ["optout_lists.id"], name="fk_optout_entries_list_id_optout_lists"
        ),
    )


def downgrade() -> None:
    op.drop_table("optout_entries")
    op.drop_table("optout_lists")
    op.drop_index("ix_record_batches_purpose", table_name="record_batches")
    op.drop_table("record_batches")
    op.drop_table("pseudonym_keys")
