"""Store what camera workers report: health, snapshots, camera events (with alerts), segments.

Runs in the process that holds the database (the API server or ``signalfire cameras
work``). Each message is one transaction; a message about a camera removed meanwhile
is dropped (with its file).
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from signalfire.alerts import service as alerts
from signalfire.alerts.models import Alert
from signalfire.alerts.schemas import AlertCreate
from signalfire.cameras.events import CameraEventDetected, CameraHealthChanged
from signalfire.cameras.models import Camera, CameraEvent, CameraHealth, Segment
from signalfire.cameras.recordings import storage
from signalfire.cameras.registry.camera_events import read_event
from signalfire.cameras.registry.schemas import HealthRead
from signalfire.cameras.workers.messages import (
    HealthReport,
    Message,
    RuleFiredReport,
    SegmentReport,
    SnapshotReport,
)
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.db import transaction
from signalfire.core.events import emit
from signalfire.core.runtime import Runtime

log = logging.getLogger("signalfire.cameras")

#: Event-mode recording keeps the segments this long before and after each event.
PRE_ROLL = timedelta(seconds=10)
POST_ROLL = timedelta(seconds=20)
#: A health report that changes nothing is stored at most this often.
HEALTH_WRITE_EVERY = timedelta(seconds=5)


def at(unix: float) -> datetime:
    """A Unix time as an aware UTC datetime."""
    return datetime.fromtimestamp(unix, UTC)


def worker_actor(agency_id: int) -> Actor:
    """Who the audit trail says raised a camera's alerts: its agency's camera workers."""
    return Actor(None, "camera-worker", agency_id, frozenset({Role.UNIT_TERMINAL}), "cli")


def handle(runtime: Runtime, message: Message) -> None:
    """Store one message from a worker."""
    data_dir = runtime.settings.data_dir
    if isinstance(message, SnapshotReport):
        with runtime.reader() as db:
            if db.get(Camera, message.camera_id) is None:
                return  # removed meanwhile
        storage.write_atomically(storage.latest_snapshot(data_dir, message.camera_id), message.jpeg)
        return
    with transaction(runtime.sessions) as db:
        if isinstance(message, HealthReport):
            record_health(db, message)
        elif isinstance(message, RuleFiredReport):
            record_camera_event(db, data_dir, message)
        else:
            record_segment(db, data_dir, message)


def record_health(db: Session, report: HealthReport) -> None:
    """Update the camera's health; announce a change of state or error."""
    camera = db.get(Camera, report.camera_id)
    if camera is None:
        return
    row = db.get(CameraHealth, report.camera_id, with_for_update=True)
    now = at(report.at)
    last_frame = at(report.last_frame_at) if report.last_frame_at else None
    retry = now + timedelta(seconds=report.retry_in_s) if report.retry_in_s else None
    if row is None:
        row = CameraHealth(camera_id=camera.id, changed_at=now, reported_at=now)
        db.add(row)
        changed = True
    else:
        changed = (row.state, row.last_error) != (report.state, report.error)
        if not changed and now - row.reported_at < HEALTH_WRITE_EVERY:
            return
    row.state, row.last_error, row.failures = report.state, report.error, report.failures
    row.last_frame_at = last_frame or row.last_frame_at
    row.retry_at, row.worker, row.reported_at = retry, report.worker, now
    if changed:
        row.changed_at = now
        db.flush()
        emit(
            db,
            CameraHealthChanged(
                agency_id=camera.agency_id,
                record_type="camera",
                record_id=str(camera.id),
                camera_id=camera.id,
                health=HealthRead.model_validate(row),
            ),
        )


_KIND = re.compile(r"[^a-z0-9_]+")


def alert_kind(kind: str) -> str:
    """An event kind as the alerts inbox spells kinds.

    >>> alert_kind("Line-Crossing"), alert_kind("")
    ('line_crossing', 'camera_event')
    """
    cleaned = _KIND.sub("_", kind.lower()).strip("_")[:40]
    return cleaned or "camera_event"


def _title(camera: Camera, report: RuleFiredReport) -> str:
    what = alert_kind(report.kind).replace("_", " ")
    where = f" ({report.direction})" if report.direction else ""
    return f"{what.capitalize()}{where} at camera {camera.name}"[:200]


def _raise_alert(db: Session, camera: Camera, report: RuleFiredReport, when: datetime) -> Alert:
    """The reported rule firing as an alert in the agency's inbox, at the camera's place."""
    detail = f"rule {report.rule}: {report.detail}" if report.detail else f"rule {report.rule}"
    return alerts.report(
        db=db,
        actor=worker_actor(camera.agency_id),
        data=AlertCreate(
            source="camera",
            source_ref=f"camera-{camera.id}",
            kind=alert_kind(report.kind),
            title=_title(camera, report),
            detail=detail[:4000],
            lat=camera.lat,
            lon=camera.lon,
            occurred_at=when,
        ),
    )


def record_camera_event(db: Session, data_dir: Path, report: RuleFiredReport) -> CameraEvent | None:
    """Store the camera event with its (blurred) picture, raise an alert, keep nearby footage."""
    camera = db.get(Camera, report.camera_id)
    if camera is None:
        return None
    when = at(report.frame_time)
    snapshot = None
    if report.jpeg:
        path = storage.event_snapshot(data_dir, camera.id, when, uuid.uuid4().hex[:8])
        storage.write_atomically(path, report.jpeg)
        snapshot = storage.relative(data_dir, path)
    alert = _raise_alert(db, camera, report, when)
    event = CameraEvent(
        camera_id=camera.id,
        agency_id=camera.agency_id,
        rule=report.rule[:100],
        kind=report.kind[:40],
        occurred_at=when,
        track_id=report.track_id,
        boxes=[[round(float(v), 1) for v in box[:4]] for box in report.boxes],
        direction=report.direction,
        detail=report.detail,
        snapshot=snapshot,
        alert_id=alert.id,
    )
    db.add(event)
    db.flush()
    _keep_footage_near(db, camera.id, when)
    emit(
        db,
        CameraEventDetected(
            agency_id=camera.agency_id,
            record_type="camera_event",
            record_id=str(event.id),
            camera_id=camera.id,
            event=read_event(event),
            frame_time=report.frame_time,
        ),
    )
    return event


def _keep_footage_near(db: Session, camera_id: int, when: datetime) -> None:
    db.execute(
        update(Segment)
        .where(
            Segment.camera_id == camera_id,
            Segment.ended_at >= when - PRE_ROLL,
            Segment.started_at <= when + POST_ROLL,
        )
        .values(keep=True)
    )


def record_segment(db: Session, data_dir: Path, report: SegmentReport) -> Segment | None:
    """Register a closed segment (event mode: kept only near an event)."""
    path = Path(report.path)
    camera = db.get(Camera, report.camera_id)
    if camera is None:
        path.unlink(missing_ok=True)
        return None
    start, end = at(report.started_at), at(report.ended_at)
    near_event = db.scalar(
        select(CameraEvent.id)
        .where(
            CameraEvent.camera_id == camera.id,
            CameraEvent.occurred_at >= start - POST_ROLL,
            CameraEvent.occurred_at <= end + PRE_ROLL,
        )
        .limit(1)
    )
    segment = Segment(
        camera_id=camera.id,
        path=storage.relative(data_dir, path),
        started_at=start,
        ended_at=end,
        frames=report.frames,
        size_bytes=report.size_bytes,
        codec=report.codec,
        keep=camera.recording_mode == "continuous" or near_event is not None,
    )
    db.add(segment)
    db.flush()
    return segment
