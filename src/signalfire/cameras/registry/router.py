"""HTTP routes of the camera registry, health, snapshots and events.

``router`` serves these and, from :mod:`signalfire.cameras.recordings.router`, the
recordings, evidence holds and clip exports.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from signalfire.api.permissions import requires
from signalfire.api.session import DbSession, get_runtime
from signalfire.cameras.recordings.router import router as recordings_router
from signalfire.cameras.registry import camera_events, service
from signalfire.cameras.registry.schemas import CameraCreate, CameraRead, CameraUpdate, EventRead
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm

registry = APIRouter(prefix="/api/cameras", tags=["cameras"])

_JPEG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}}, "description": "A JPEG picture."}
}


@registry.get("", response_model=list[CameraRead])
def list_cameras(
    db: DbSession, actor: Annotated[Actor, requires(Perm.CAMERA_READ)]
) -> list[CameraRead]:
    """The agency's cameras with their health (online, degraded, offline)."""
    return service.list_cameras(db=db, actor=actor)


@registry.post("", response_model=CameraRead, status_code=201)
def add_camera(
    data: CameraCreate, db: DbSession, actor: Annotated[Actor, requires(Perm.CAMERA_MANAGE)]
) -> CameraRead:
    """Register a camera; the workers start analysing (and recording) it within seconds."""
    return service.create(db=db, actor=actor, data=data)


@registry.get("/{camera_id}", response_model=CameraRead)
def read_camera(
    camera_id: int, db: DbSession, actor: Annotated[Actor, requires(Perm.CAMERA_READ)]
) -> CameraRead:
    """One camera with its health."""
    return service.view(db, actor, camera_id)


@registry.patch("/{camera_id}", response_model=CameraRead)
def change_camera(
    camera_id: int,
    data: CameraUpdate,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.CAMERA_MANAGE)],
) -> CameraRead:
    """Change a camera; its worker restarts the analysis with the new settings."""
    return service.update(db=db, actor=actor, camera_id=camera_id, data=data)


@registry.delete("/{camera_id}", status_code=204)
def remove_camera(
    camera_id: int,
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.CAMERA_MANAGE)],
) -> None:
    """Remove a camera with its events and recordings (refused while evidence is held)."""
    data_dir = get_runtime(request).settings.data_dir
    service.delete(db=db, actor=actor, camera_id=camera_id, data_dir=data_dir)


@registry.get("/{camera_id}/snapshot", response_class=Response, responses=_JPEG)
def latest_snapshot(
    camera_id: int,
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.VIDEO_VIEW)],
) -> Response:
    """The camera's latest picture, faces blurred (404 until its worker sent one)."""
    data_dir = get_runtime(request).settings.data_dir
    jpeg = camera_events.latest_snapshot(db=db, actor=actor, camera_id=camera_id, data_dir=data_dir)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@registry.get("/{camera_id}/events", response_model=list[EventRead])
def list_events(
    camera_id: int,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.VIDEO_VIEW)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[EventRead]:
    """What the camera's analysis saw, newest first."""
    return camera_events.list_events(db=db, actor=actor, camera_id=camera_id, limit=limit)


@registry.get("/events/{event_id}/snapshot", response_class=Response, responses=_JPEG)
def event_snapshot(
    event_id: int,
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.VIDEO_VIEW)],
) -> Response:
    """The picture taken when an event fired, faces blurred."""
    data_dir = get_runtime(request).settings.data_dir
    jpeg = camera_events.event_snapshot(db=db, actor=actor, event_id=event_id, data_dir=data_dir)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private"})


router = APIRouter()
router.include_router(registry)
router.include_router(recordings_router)
