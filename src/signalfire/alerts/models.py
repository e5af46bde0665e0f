"""Alert tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from signalfire.core.db import Base, UtcDateTime


class Alert(Base):
    """Something a sensor reported: new, then promoted to an incident or dismissed."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_agency_status", "agency_id", "status", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    source: Mapped[str] = mapped_column(String(16))  # alarm, camera
    source_ref: Mapped[str] = mapped_column(String(100))  # panel or camera identifier
    kind: Mapped[str] = mapped_column(String(40))  # fire_alarm, intrusion, line_crossing...
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="new")
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    handled_by: Mapped[int | None] = mapped_column(Integer)
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(String(500))
