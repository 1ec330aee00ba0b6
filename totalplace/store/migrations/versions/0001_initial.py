"""The first schema: partners, areas, users and roles, import batches, the audit chain.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("code", sa.String(40), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_partners"),
        sa.UniqueConstraint("name", name="uq_partners_name"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("partner_id", sa.Integer, nullable=True),
        sa.Column("purpose", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_role_grants"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_role_grants_user_id_users"),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], name="fk_role_grants_partner_id_partners"),
        sa.UniqueConstraint("user_id", "role", "partner_id", "purpose", name="uq_role_grants_scope"),
    )
    op.create_index("ix_role_grants_user_id", "role_grants", ["user_id"])
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("partner_id", sa.Integer, nullable=True),
        sa.Column("source_name", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("importer", sa.String(80), nullable=False),
        sa.Column("imported_at", sa.String(40), nullable=False),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("totals", sa.Text, nullable=False),
        sa.Column("parquet_path", sa.String(500), nullable=False),
        sa.Column("parquet_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("superseded_by", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_batches"),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], name="fk_batches_partner_id_partners"),
        sa.ForeignKeyConstraint(["superseded_by"], ["batches.id"], name="fk_batches_superseded_by_batches"),
        sa.UniqueConstraint("kind", "sha256", name="uq_batches_kind_sha256"),
    )
    op.create_index("ix_batches_kind", "batches", ["kind"])
    op.create_table(
        "areas",
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("parent_code", sa.String(20), nullable=True),
        sa.Column("population", sa.BigInteger, nullable=True),
        sa.Column("boundary", sa.Text, nullable=True),
        sa.Column("batch_id", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_areas"),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name="fk_areas_batch_id_batches"),
    )
    op.create_index("ix_areas_level", "areas", ["level"])
    op.create_index("ix_areas_parent_code", "areas", ["parent_code"])
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(80), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")


def downgrade() -> None:
    for table in ("audit_head", "audit_log", "areas", "batches", "role_grants", "users", "partners"):
        op.drop_table(table)
