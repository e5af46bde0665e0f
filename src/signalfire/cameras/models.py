"""Camera tables: the registry, live health, analysis leases, analysis events, recorded
segments, holds, exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from signalfire.core.db import Base, UtcDateTime


class Camera(Base):
    """A camera of an agency: where its video comes from, where it looks, what to detect."""

    __tablename__ = "cameras"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(1000))  # rtsp://, http(s):// or a file path
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    heading_deg: Mapped[float] = mapped_column(Float)  # where it looks, clockwise from north
    fov_deg: Mapped[float] = mapped_column(Float)  # horizontal field of view
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    analysis: Mapped[dict[str, Any]] = mapped_column(JSON)  # the video PipelineConfig
    recording_mode: Mapped[str] = mapped_column(String(16))  # off, continuous, event
    retention_days: Mapped[float] = mapped_column(Float)
    segment_seconds: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CameraHealth(Base):
    """What the camera's worker last said: online, degraded or offline, and why."""

    __tablename__ = "camera_health"

    camera_id: Mapped[int] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16))  # online, degraded, offline
    last_frame_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    worker: Mapped[str | None] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CameraLease(Base):
    """Which supervisor may analyse a camera, until when: one holder per camera, across
    every replica on the database (see :mod:`signalfire.cameras.workers.lease`)."""

    __tablename__ = "camera_leases"
    __table_args__ = (Index("ix_camera_leases_holder", "holder"),)

    camera_id: Mapped[int] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str] = mapped_column(String(200))  # host:pid:random of a supervisor
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    renewed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CameraEvent(Base):
    """Something the analysis saw: a rule fired on a track (no identity, ever)."""

    __tablename__ = "camera_events"
    __table_args__ = (Index("ix_camera_events_camera_time", "camera_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    rule: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    track_id: Mapped[int | None] = mapped_column(Integer)
    boxes: Mapped[list[list[float]]] = mapped_column(JSON)  # [x1, y1, x2, y2] in pixels
    direction: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[str | None] = mapped_column(String(300))  # relative to the data dir
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))


class Segment(Base):
    """A recorded piece of a camera's stream, stored as it came (no re-encoding)."""

    __tablename__ = "camera_segments"
    __table_args__ = (Index("ix_camera_segments_camera_start", "camera_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(300), unique=True)  # relative to the data dir
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    frames: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    codec: Mapped[str] = mapped_column(String(40))
    keep: Mapped[bool] = mapped_column(Boolean)  # event mode: near an event


class EvidenceHold(Base):
    """A time range of a camera kept past its retention for a case, until released."""

    __tablename__ = "camera_holds"
    __table_args__ = (Index("ix_camera_holds_camera", "camera_id", "released_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(500))
    case_number: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_by: Mapped[int | None] = mapped_column(Integer)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    release_reason: Mapped[str | None] = mapped_column(String(500))


class ClipExport(Base):
    """A clip of recordings leaving the system: asked for a case, redacted, then fetched."""

    __tablename__ = "camera_exports"
    __table_args__ = (Index("ix_camera_exports_agency", "agency_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    purpose: Mapped[str] = mapped_column(String(500))
    case_number: Mapped[str] = mapped_column(String(100))
    requested_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))  # running, done, failed
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    error: Mapped[str | None] = mapped_column(String(500))
    path: Mapped[str | None] = mapped_column(String(300))  # relative to the data dir
    sha256: Mapped[str | None] = mapped_column(String(64))
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what redaction hid
    segments: Mapped[list[int]] = mapped_column(JSON)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
