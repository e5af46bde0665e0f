"""Reading stored camera events (what the analysis saw), their pictures, and each camera's
latest picture."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.cameras.models import CameraEvent
from signalfire.cameras.recordings import storage
from signalfire.cameras.registry import service
from signalfire.cameras.registry.schemas import EventRead
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import NotFound


def read_event(event: CameraEvent) -> EventRead:
    """The API view of a stored camera event."""
    return EventRead(
        id=event.id,
        camera_id=event.camera_id,
        rule=event.rule,
        kind=event.kind,
        occurred_at=event.occurred_at,
        track_id=event.track_id,
        boxes=event.boxes,
        direction=event.direction,
        detail=event.detail,
        has_snapshot=event.snapshot is not None,
        alert_id=event.alert_id,
    )


def list_events(*, db: Session, actor: Actor, camera_id: int, limit: int) -> list[EventRead]:
    """A camera's events, newest first."""
    camera = service.get(db, actor, camera_id)
    query = (
        select(CameraEvent)
        .where(CameraEvent.camera_id == camera.id)
        .order_by(CameraEvent.occurred_at.desc(), CameraEvent.id.desc())
        .limit(limit)
    )
    return [read_event(e) for e in db.scalars(query)]


def latest_snapshot(*, db: Session, actor: Actor, camera_id: int, data_dir: Path) -> bytes:
    """The camera's latest JPEG (faces blurred by the worker before it was sent)."""
    camera = service.get(db, actor, camera_id)
    path = storage.latest_snapshot(data_dir, camera.id)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"camera {camera_id} has sent no picture yet") from None


def event_snapshot(*, db: Session, actor: Actor, event_id: int, data_dir: Path) -> bytes:
    """The JPEG taken when event ``event_id`` fired."""
    event = db.get(CameraEvent, event_id)
    if event is None or not actor.acts_in(event.agency_id):
        raise NotFound(f"no camera event with id {event_id}")
    if event.snapshot is None:
        raise NotFound(f"camera event {event_id} has no picture")
    try:
        return storage.absolute(data_dir, event.snapshot).read_bytes()
    except FileNotFoundError:
        raise NotFound(f"the picture of camera event {event_id} is gone") from None
