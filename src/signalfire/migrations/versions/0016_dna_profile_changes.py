"""a log of DNA profile changes, so each replica's search index follows them incrementally

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from signalfire.core.db import UtcDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "dna_profile_changes",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=8), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_dna_profile_changes_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("agency_id", "seq", name=op.f("pk_dna_profile_changes")),
    )
    with op.batch_alter_table("dna_agency_settings") as batch:
        batch.add_column(
            sa.Column("profile_change_seq", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("dna_agency_settings") as batch:
        batch.drop_column("profile_change_seq")
    op.drop_table("dna_profile_changes")
