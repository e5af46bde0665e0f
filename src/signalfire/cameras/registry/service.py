"""The camera registry: add, change, list and remove an agency's cameras."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signalfire.cameras.events import CameraChanged
from signalfire.cameras.models import Camera, CameraHealth, EvidenceHold
from signalfire.cameras.recordings import storage
from signalfire.cameras.registry.schemas import CameraCreate, CameraRead, CameraUpdate, HealthRead
from signalfire.cameras.registry.sources import mask
from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict, Invalid, NotFound
from signalfire.core.events import emit

_NEVER_SEEN = HealthRead(state="unknown")
#: A camera whose worker has not reported for this long is shown offline.
STALE_AFTER = timedelta(seconds=30)


def health_view(health: CameraHealth | None) -> HealthRead:
    """What to show of a camera's last health report (offline when it is stale)."""
    if health is None:
        return _NEVER_SEEN
    view = HealthRead.model_validate(health)
    if health.state != "offline" and clock.now() - health.reported_at > STALE_AFTER:
        since = health.reported_at.isoformat(timespec="seconds")
        return view.model_copy(
            update={"state": "offline", "last_error": f"no worker has reported since {since}"}
        )
    return view


def agency_of(actor: Actor) -> int:
    """The agency the actor's cameras belong to."""
    if actor.agency_id is None:
        raise Invalid("cameras belong to an agency; act as one of its users")
    return actor.agency_id


def read(camera: Camera, health: CameraHealth | None) -> CameraRead:
    """The API view of ``camera``: its source without any password, and its health."""
    return CameraRead.model_validate(
        {
            **{c: getattr(camera, c) for c in Camera.__table__.columns.keys()},  # noqa: SIM118
            "source": mask(camera.source),
            "health": health_view(health),
        }
    )


def get(db: Session, actor: Actor, camera_id: int, *, for_update: bool = False) -> Camera:
    """The actor's agency's camera ``camera_id``, or 404 (others' cameras do not exist)."""
    camera = db.get(Camera, camera_id, with_for_update=for_update)
    if camera is None or not actor.acts_in(camera.agency_id):
        raise NotFound(f"no camera with id {camera_id}")
    return camera


def health_of(db: Session, camera_id: int) -> CameraHealth | None:
    """The last health report of a camera, if its worker ever reported."""
    return db.get(CameraHealth, camera_id)


def view(db: Session, actor: Actor, camera_id: int) -> CameraRead:
    """One camera with its health."""
    camera = get(db, actor, camera_id)
    return read(camera, health_of(db, camera.id))


def list_cameras(*, db: Session, actor: Actor) -> list[CameraRead]:
    """The agency's cameras by name, each with its health."""
    query = (
        select(Camera, CameraHealth)
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
        .order_by(Camera.name, Camera.id)
    )
    if actor.agency_id is not None:
        query = query.where(Camera.agency_id == actor.agency_id)
    return [read(camera, health) for camera, health in db.execute(query).all()]


def create(*, db: Session, actor: Actor, data: CameraCreate) -> CameraRead:
    """Register a camera; its workers pick it up within seconds."""
    now = clock.now()
    camera = Camera(
        agency_id=agency_of(actor),
        **data.model_dump(exclude={"analysis"}),
        analysis=data.analysis.model_dump(mode="json"),
        created_at=now,
        updated_at=now,
    )
    db.add(camera)
    _flush_unique(db, camera)
    return _announce(db, actor, camera, "added")


def update(*, db: Session, actor: Actor, camera_id: int, data: CameraUpdate) -> CameraRead:
    """Change the fields given; workers restart the camera's analysis with them."""
    camera = get(db, actor, camera_id, for_update=True)
    changes = data.model_dump(exclude_unset=True, mode="json")
    nulls = sorted(k for k, v in changes.items() if v is None)
    if nulls:
        raise Invalid(f"{', '.join(nulls)} cannot be null", field=nulls[0])
    for name, value in changes.items():
        setattr(camera, name, value)
    camera.updated_at = clock.now()
    _flush_unique(db, camera)
    return _announce(db, actor, camera, "changed")


def delete(*, db: Session, actor: Actor, camera_id: int, data_dir: storage.Path) -> None:
    """Remove a camera with its events and recordings, unless evidence is held on it."""
    camera = get(db, actor, camera_id, for_update=True)
    held = db.scalar(
        select(EvidenceHold.id).where(
            EvidenceHold.camera_id == camera.id, EvidenceHold.released_at.is_(None)
        )
    )
    if held is not None:
        raise Conflict(f"camera {camera_id} has evidence on hold (hold {held}); release it first")
    view = _announce(db, actor, camera, "removed")
    db.delete(camera)
    db.flush()
    storage.remove_camera_files(data_dir, view.id)


def _flush_unique(db: Session, camera: Camera) -> None:
    clash = f"your agency already has a camera named {camera.name!r}"
    with db.no_autoflush:
        same = select(Camera.id).where(
            Camera.agency_id == camera.agency_id, Camera.name == camera.name
        )
        if camera.id is not None:
            same = same.where(Camera.id != camera.id)
        if db.scalar(same) is not None:
            raise Conflict(clash, field="name")
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(clash, field="name") from None


def _announce(db: Session, actor: Actor, camera: Camera, change: str) -> CameraRead:
    db.flush()
    view = read(camera, health_of(db, camera.id))
    emit(
        db,
        CameraChanged(
            actor=actor.ref(),
            agency_id=camera.agency_id,
            record_type="camera",
            record_id=str(camera.id),
            camera=view,
            change=change,
        ),
    )
    return view
