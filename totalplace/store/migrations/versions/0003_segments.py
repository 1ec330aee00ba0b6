"""Segmentations (clusters, members) and the population-weighted centres of small areas.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("areas") as batch:
        batch.add_column(sa.Column("centre_x", sa.Float, nullable=True))
        batch.add_column(sa.Column("centre_y", sa.Float, nullable=True))
    op.create_table(
        "segmentations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("spec", sa.String(60), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("levels", sa.Text, nullable=False),
        sa.Column("seed", sa.Integer, nullable=True),
        sa.Column("starts", sa.Integer, nullable=True),
        sa.Column("variables", sa.Text, nullable=False),
        sa.Column("ranges", sa.Text, nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_segmentations"),
        sa.UniqueConstraint("name", name="uq_segmentations_name"),
    )
    op.create_table(
        "segment_clusters",
        sa.Column("segmentation_id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("parent_code", sa.String(20), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("profile", sa.Text, nullable=False),
        sa.Column("centroid", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("segmentation_id", "code", name="pk_segment_clusters"),
        sa.ForeignKeyConstraint(
            ["segmentation_id"],
            ["segmentations.id"],
            name="fk_segment_clusters_segmentation_id_segmentations",
        ),
    )
    op.create_table(
        "segment_members",
        sa.Column("segmentation_id", sa.Integer, nullable=False),
        sa.Column("area_code", sa.String(20), nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("distance", sa.Float, nullable=True),
        sa.Column("runner_up", sa.String(20), nullable=True),
        sa.Column("runner_up_distance", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("segmentation_id", "area_code", name="pk_segment_members"),
        sa.ForeignKeyConstraint(
            ["segmentation_id"], ["segmentations.id"], name="fk_segment_members_segmentation_id_segmentations"
        ),
    )


def downgrade() -> None:
    for table in ("segment_members", "segment_clusters", "segmentations"):
        op.drop_table(table)
    with op.batch_alter_table("areas") as batch:
        batch.drop_column("centre_y")
        batch.drop_column("centre_x")
