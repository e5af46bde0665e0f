"""Road closure table: the one record of which road segments are closed, shared by
every process (each router follows it through :func:`signalfire.roads.service.sync_router`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from signalfire.core.db import Base, UtcDateTime


class RoadClosure(Base):
    """Segment ``edge`` of the road graph closed (both ways) from ``starts_at`` until
    ``until`` (open-ended when null) or until it is reopened."""

    __tablename__ = "road_closures"
    __table_args__ = (
        # Reopening looks up an edge's open closures; syncing reads the open ones.
        Index("ix_road_closures_edge_reopened_at", "edge", "reopened_at"),
        Index("ix_road_closures_reopened_at", "reopened_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    edge: Mapped[int] = mapped_column(Integer)
    street: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[int | None] = mapped_column(Integer)  # user id; null for the system
    reopened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reopened_by: Mapped[int | None] = mapped_column(Integer)
