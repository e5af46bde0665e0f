"""grid cells on incidents, so the duplicate check reads only the cells around a call

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from signalfire.geo.grid import cell_of

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

_INCIDENTS = sa.table(
    "incidents",
    sa.column("id", sa.Integer),
    sa.column("lat", sa.Float),
    sa.column("lon", sa.Float),
    sa.column("cell", sa.Integer),
)


_CHUNK = 10_000  # rows read and updated at a time


def upgrade() -> None:
    # The index of 0009 made the check walk every incident of the agency's last half
    # hour: fine on a quiet day, but a storm's hundreds of calls each walked them all.
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cell", sa.Integer(), nullable=True))
    _backfill_cells(op.get_bind())
    with op.batch_alter_table("incidents", schema=None) as batch_op:  # after: one build
        batch_op.drop_index("ix_incidents_agency_created")
        batch_op.create_index(
            "ix_incidents_agency_cell", ["agency_id", "cell", "created_at", "lat", "lon"]
        )


def _backfill_cells(connection: sa.Connection) -> None:
    """The cell of every located incident, in chunks by id."""
    located = (
        sa.select(_INCIDENTS.c.id, _INCIDENTS.c.lat, _INCIDENTS.c.lon)
        .where(_INCIDENTS.c.lat.is_not(None), _INCIDENTS.c.lon.is_not(None))
        .where(_INCIDENTS.c.id > sa.bindparam("after"))
        .order_by(_INCIDENTS.c.id)
        .limit(_CHUNK)
    )
    set_cell = (
        sa.update(_INCIDENTS)
        .where(_INCIDENTS.c.id == sa.bindparam("row_id"))
        .values(cell=sa.bindparam("new_cell"))
    )
    after = 0
    while rows := connection.execute(located, {"after": after}).all():
        cells = [{"row_id": i, "new_cell": cell_of(lat, lon)} for i, lat, lon in rows]
        connection.execute(set_cell, cells)
        after = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_agency_cell")
        batch_op.create_index(
            "ix_incidents_agency_created", ["agency_id", "created_at", "lat", "lon"]
        )
        batch_op.drop_column("cell")
