"""Assignment and response-plan tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signalfire.core.db import Base, UtcDateTime


class Assignment(Base):
    """A unit sent to an incident, from dispatch until it clears or is cancelled."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_active", "unit_id", "ended_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    assigned_by: Mapped[int | None] = mapped_column(Integer)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))  # cleared, cancelled


class ResponsePlan(Base):
    """A run card: for a nature (optionally a priority and an area), what to send."""

    __tablename__ = "response_plans"
    __table_args__ = (UniqueConstraint("agency_id", "nature_code", "priority", "area"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    nature_code: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int | None] = mapped_column(Integer)
    area: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    requirements: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
