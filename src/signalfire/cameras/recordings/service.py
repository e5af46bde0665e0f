"""Recordings: listing segments, evidence holds, and the retention purge.

A hold keeps every segment (and event picture) of its camera that overlaps its time
range, past any retention, until someone releases it; placing and releasing are audited
with who, why and the case.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from signalfire.cameras.events import EvidenceHoldPlaced, EvidenceHoldReleased, RecordingsPurged
from signalfire.cameras.models import Camera, CameraEvent, EvidenceHold, Segment
from signalfire.cameras.recordings import storage
from signalfire.cameras.recordings.schemas import HoldCreate, HoldRead, HoldRelease, SegmentRead
from signalfire.cameras.registry import service as cameras
from signalfire.cameras.workers.ingest import POST_ROLL, PRE_ROLL
from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict, NotFound
from signalfire.core.events import emit

#: Event mode: segments with no event near them are deleted once this old.
UNKEPT_GRACE = PRE_ROLL + POST_ROLL + timedelta(seconds=60)


def _held(started: object, ended: object, camera_id: object) -> object:
    """SQL: an active hold of the camera overlaps [started, ended]."""
    return exists().where(
        EvidenceHold.camera_id == camera_id,
        EvidenceHold.released_at.is_(None),
        EvidenceHold.starts_at <= ended,
        EvidenceHold.ends_at >= started,
    )


def list_segments(
    *, db: Session, actor: Actor, camera_id: int, since: datetime, until: datetime
) -> list[SegmentRead]:
    """The camera's segments overlapping [since, until], oldest first."""
    camera = cameras.get(db, actor, camera_id)
    held = _held(Segment.started_at, Segment.ended_at, Segment.camera_id)
    query = (
        select(Segment, held.label("held"))  # type: ignore[attr-defined]
        .where(
            Segment.camera_id == camera.id,
            Segment.ended_at >= since,
            Segment.started_at <= until,
        )
        .order_by(Segment.started_at, Segment.id)
        .limit(5000)
    )
    return [
        SegmentRead.model_validate(segment).model_copy(update={"held": bool(is_held)})
        for segment, is_held in db.execute(query).all()
    ]


def segments_between(
    db: Session, camera_id: int, since: datetime, until: datetime
) -> list[Segment]:
    """The stored segments of a camera overlapping [since, until], oldest first."""
    return list(
        db.scalars(
            select(Segment)
            .where(
                Segment.camera_id == camera_id,
                Segment.ended_at > since,
                Segment.started_at < until,
            )
            .order_by(Segment.started_at, Segment.id)
        )
    )


def segments_by_id(db: Session, ids: list[int]) -> list[Segment]:
    """Segments by id, oldest first (those purged meanwhile are missing)."""
    return list(db.scalars(select(Segment).where(Segment.id.in_(ids)).order_by(Segment.started_at)))


def place_hold(*, db: Session, actor: Actor, camera_id: int, data: HoldCreate) -> HoldRead:
    """Keep the camera's recordings of a time range for a case (audited)."""
    camera = cameras.get(db, actor, camera_id)
    hold = EvidenceHold(
        camera_id=camera.id,
        agency_id=camera.agency_id,
        **data.model_dump(),
        created_by=actor.user_id,
        created_at=clock.now(),
    )
    db.add(hold)
    db.flush()
    view = HoldRead.model_validate(hold)
    emit(
        db,
        EvidenceHoldPlaced(
            actor=actor.ref(),
            agency_id=camera.agency_id,
            record_type="camera_hold",
            record_id=str(hold.id),
            purpose=data.reason,
            case_number=data.case_number,
            camera_id=camera.id,
            hold=view,
        ),
    )
    return view


def list_holds(*, db: Session, actor: Actor, camera_id: int) -> list[HoldRead]:
    """The camera's holds, active ones first, newest first."""
    camera = cameras.get(db, actor, camera_id)
    query = (
        select(EvidenceHold)
        .where(EvidenceHold.camera_id == camera.id)
        .order_by(EvidenceHold.released_at.is_not(None), EvidenceHold.created_at.desc())
    )
    return [HoldRead.model_validate(h) for h in db.scalars(query)]


def release_hold(*, db: Session, actor: Actor, hold_id: int, data: HoldRelease) -> HoldRead:
    """End a hold (audited with the reason); its recordings fall under retention again."""
    hold = db.get(EvidenceHold, hold_id, with_for_update=True)
    if hold is None or not actor.acts_in(hold.agency_id):
        raise NotFound(f"no evidence hold with id {hold_id}")
    if hold.released_at is not None:
        raise Conflict(f"evidence hold {hold_id} was released already")
    hold.released_at, hold.released_by, hold.release_reason = (
        clock.now(),
        actor.user_id,
        data.reason,
    )
    db.flush()
    view = HoldRead.model_validate(hold)
    emit(
        db,
        EvidenceHoldReleased(
            actor=actor.ref(),
            agency_id=hold.agency_id,
            record_type="camera_hold",
            record_id=str(hold.id),
            purpose=data.reason,
            case_number=hold.case_number,
            camera_id=hold.camera_id,
            hold=view,
            reason=data.reason,
        ),
    )
    return view


def purge(*, db: Session, data_dir: Path, now: datetime) -> list[Path]:
    """Delete recordings past their camera's retention (and event-mode footage with no
    event near it), except what a hold covers. Returns the files to remove once the
    transaction has committed."""
    doomed: list[Path] = []
    for camera in db.scalars(select(Camera).order_by(Camera.id)):
        doomed += _purge_camera(db, data_dir, camera, now)
    return doomed


def _purge_camera(db: Session, data_dir: Path, camera: Camera, now: datetime) -> list[Path]:
    expiry = now - timedelta(days=camera.retention_days)
    held = _held(Segment.started_at, Segment.ended_at, Segment.camera_id)
    old = select(Segment).where(
        Segment.camera_id == camera.id,
        ~held,  # type: ignore[operator]
        or_(
            Segment.ended_at < expiry,
            and_(Segment.keep.is_(False), Segment.ended_at < now - UNKEPT_GRACE),
        ),
    )
    segments = list(db.scalars(old))
    paths = [storage.absolute(data_dir, s.path) for s in segments]
    size = sum(s.size_bytes for s in segments)
    for segment in segments:
        db.delete(segment)
    event_held = _held(CameraEvent.occurred_at, CameraEvent.occurred_at, CameraEvent.camera_id)
    pictures = select(CameraEvent).where(
        CameraEvent.camera_id == camera.id,
        CameraEvent.snapshot.is_not(None),
        CameraEvent.occurred_at < expiry,
        ~event_held,  # type: ignore[operator]
    )
    for event in db.scalars(pictures):
        paths.append(storage.absolute(data_dir, event.snapshot or ""))
        event.snapshot = None
    db.flush()
    if segments:
        emit(
            db,
            RecordingsPurged(
                agency_id=camera.agency_id,
                record_type="camera",
                record_id=str(camera.id),
                camera_id=camera.id,
                segments=len(segments),
                size_bytes=size,
            ),
        )
    return paths
