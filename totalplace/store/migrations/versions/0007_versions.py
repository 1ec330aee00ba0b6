"""Versioned objects: every change of a model, library, rule set, draft, segment names or framework is a row.

Files a place kept before (``cba/*.yaml``, ``parameters/unit_costs.yaml``, ``parameters/gdp_deflators.yaml``,
``rules/*.yaml``, ``pools/drafts/*.yaml``) and its framework versions are imported as version 1 when the place
is next opened (:mod:`totalplace.store.version_import`), where the audit key is at hand to seal the records.

Revision ID: 0007_versions
Revises: 0006_audit_alg
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_versions"
down_revision = "0006_audit_alg"
branch_labels = None
depends_on = None
REFUSAL = "a version is never changed or deleted: add a new one"


def upgrade() -> None:
    op.create_table(
        "object_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.Integer, nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("restored_from", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_object_versions"),
        sa.ForeignKeyConstraint(["owner_id"], ["partners.id"], name="fk_object_versions_owner_id_partners"),
        sa.UniqueConstraint("kind", "name", "version", name="uq_object_versions_kind"),
    )
    # Versions are only ever added: the database itself refuses to change or delete one (someone who can
    # drop the trigger can still, which `audit verify` then detects by the audited SHA-256).
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER object_versions_no_{verb.lower()} BEFORE {verb} ON object_versions "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION object_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER object_versions_append_only BEFORE UPDATE OR DELETE ON object_versions "
            "FOR EACH ROW EXECUTE FUNCTION object_versions_append_only()"
        )


def downgrade() -> None:
    op.drop_table("object_versions")  # its triggers go with it
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS object_versions_append_only()")
