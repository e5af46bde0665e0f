"""index incidents by agency and time, for the duplicate check at intake

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Without it the duplicate check walked every incident the agency ever had; with
    # the coordinates in the index it reads only the rows inside its box.
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incidents_agency_created", ["agency_id", "created_at", "lat", "lon"]
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_agency_created")
