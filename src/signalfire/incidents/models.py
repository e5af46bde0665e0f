"""Incident tables: the incident, its locations, caller, notes, links and timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from signalfire.core.db import Base, UtcDateTime


class AgencyNature(Base):
    """A nature an agency adds to the default catalogue (or overrides)."""

    __tablename__ = "agency_natures"
    __table_args__ = (UniqueConstraint("agency_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    discipline: Mapped[str] = mapped_column(String(10))
    priority: Mapped[int] = mapped_column(Integer)


class IncidentCounter(Base):
    """Last incident number used per agency and year."""

    __tablename__ = "incident_counters"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Incident(Base):
    """Something that needs a response."""

    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("agency_id", "number"),
        Index("ix_incidents_open", "status", "created_at"),
        Index("ix_incidents_lat_lon", "lat", "lon"),
        # the duplicate check at intake: an agency's incidents of the last minutes in the
        # few grid cells around a call (``geo.grid``), with the coordinates to check its box
        Index("ix_incidents_agency_cell", "agency_id", "cell", "created_at", "lat", "lon"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    nature_code: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer)
    modifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    #: ``geo.grid.cell_of(lat, lon)``, kept with the coordinates (``None`` without them)
    cell: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(300))
    location_source: Mapped[str | None] = mapped_column(String(16))
    location_accuracy_m: Mapped[float | None] = mapped_column(Float)
    disposition: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    shares: Mapped[list[IncidentShare]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def shared_with(self) -> list[int]:
        """Other agencies that see this incident (mutual aid)."""
        return sorted(share.agency_id for share in self.shares)


class IncidentShare(Base):
    """Another agency that sees an incident, e.g. because its unit was sent."""

    __tablename__ = "incident_shares"
    __table_args__ = (UniqueConstraint("incident_id", "agency_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)


class IncidentLocation(Base):
    """Every location reported for an incident, with its source; one is primary."""

    __tablename__ = "incident_locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(16))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class IncidentCaller(Base):
    """Who called: protected, shown to dispatch roles only, every read audited."""

    __tablename__ = "incident_callers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    number: Mapped[str | None] = mapped_column(String(32), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IncidentNote(Base):
    """A narrative entry."""

    __tablename__ = "incident_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    author_user_id: Mapped[int | None] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class IncidentLink(Base):
    """Two incidents that belong together; ``duplicate`` means ``other`` was merged in."""

    __tablename__ = "incident_links"
    __table_args__ = (UniqueConstraint("incident_id", "other_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    other_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TimelineEvent(Base):
    """One timestamped step of an incident; response times are computed from these."""

    __tablename__ = "timeline_events"
    __table_args__ = (Index("ix_timeline_incident_at", "incident_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(16))  # system, terminal, radio, telephony
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
