"""The audit chain is keyed: each record and the head name the algorithm (and key number) that seals them.

Records written before stay plain SHA-256 (``sha256``) and are verified as they were; a place's chain is keyed
from the ``audit.keyed`` record on (``totalplace audit upgrade``), or from its first record for a new place.

Revision ID: 0006_audit_alg
Revises: 0005_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_audit_alg"
down_revision = "0005_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("alg", sa.String(40), nullable=False, server_default="sha256"))
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("alg", sa.String(40), nullable=False, server_default="sha256"))


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("alg")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("alg")
