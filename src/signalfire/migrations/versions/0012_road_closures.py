"""road closures stored in the database, so every replica and a restart see them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from signalfire.core.db import UtcDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "road_closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("edge", sa.Integer(), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("until", UtcDateTime(), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("reopened_at", UtcDateTime(), nullable=True),
        sa.Column("reopened_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_road_closures_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_closures")),
    )
    op.create_index("ix_road_closures_edge_reopened_at", "road_closures", ["edge", "reopened_at"])
    op.create_index("ix_road_closures_reopened_at", "road_closures", ["reopened_at"])


def downgrade() -> None:
    op.drop_index("ix_road_closures_reopened_at", table_name="road_closures")
    op.drop_index("ix_road_closures_edge_reopened_at", table_name="road_closures")
    op.drop_table("road_closures")
