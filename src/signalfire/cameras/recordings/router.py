"""HTTP routes of recordings, evidence holds and clip exports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import FileResponse

from signalfire.api.permissions import CaseJustified, requires
from signalfire.api.session import DbSession, get_runtime
from signalfire.cameras.recordings import exports
from signalfire.cameras.recordings import service as recordings
from signalfire.cameras.recordings.schemas import (
    ClipRequest,
    ExportRead,
    HoldCreate,
    HoldRead,
    HoldRelease,
    SegmentRead,
)
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm
from signalfire.core.schemas import Timestamp

router = APIRouter(prefix="/api/cameras", tags=["cameras"])


@router.get("/{camera_id}/recordings", response_model=list[SegmentRead])
def list_recordings(
    camera_id: int,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.VIDEO_VIEW)],
    since: Annotated[Timestamp, Query(description="From (ISO 8601 with zone).")],
    until: Annotated[Timestamp, Query(description="To (ISO 8601 with zone).")],
) -> list[SegmentRead]:
    """Recorded segments overlapping the range, oldest first, with whether a hold keeps them."""
    return recordings.list_segments(
        db=db, actor=actor, camera_id=camera_id, since=since, until=until
    )


@router.post("/{camera_id}/holds", response_model=HoldRead, status_code=201)
def place_hold(
    camera_id: int,
    data: HoldCreate,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.VIDEO_HOLD)],
) -> HoldRead:
    """Keep the camera's recordings of a time range past retention, for a case (audited)."""
    return recordings.place_hold(db=db, actor=actor, camera_id=camera_id, data=data)


@router.get("/{camera_id}/holds", response_model=list[HoldRead])
def list_holds(
    camera_id: int, db: DbSession, actor: Annotated[Actor, requires(Perm.VIDEO_HOLD)]
) -> list[HoldRead]:
    """The camera's evidence holds, active ones first."""
    return recordings.list_holds(db=db, actor=actor, camera_id=camera_id)


@router.post("/holds/{hold_id}/release", response_model=HoldRead)
def release_hold(
    hold_id: int,
    data: HoldRelease,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.VIDEO_HOLD)],
) -> HoldRead:
    """End a hold, with the reason (audited); retention applies to its recordings again."""
    return recordings.release_hold(db=db, actor=actor, hold_id=hold_id, data=data)


@router.post("/{camera_id}/exports", response_model=ExportRead, status_code=202)
def request_export(
    camera_id: int,
    data: ClipRequest,
    request: Request,
    background: BackgroundTasks,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.VIDEO_EXPORT)],
    why: CaseJustified,
) -> ExportRead:
    """Export a clip of the recording (purpose and case in the X-Signalfire-Purpose and
    X-Signalfire-Case headers; audited). Faces are blurred in every frame; follow the
    progress at ``GET /api/cameras/exports/{id}``."""
    export = exports.request(db=db, actor=actor, why=why, camera_id=camera_id, data=data)
    background.add_task(exports.start, get_runtime(request), export.id)
    return exports.read(export)


@router.get("/exports/{export_id}", response_model=ExportRead)
def read_export(
    export_id: int, db: DbSession, actor: Annotated[Actor, requires(Perm.VIDEO_EXPORT)]
) -> ExportRead:
    """An export's progress, and what its redaction hid once done."""
    return exports.read(exports.get(db, actor, export_id))


@router.get(
    "/exports/{export_id}/file",
    response_class=FileResponse,
    responses={200: {"content": {"video/mp4": {}}, "description": "The redacted clip."}},
)
def download_export(
    export_id: int,
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.VIDEO_EXPORT)],
    why: CaseJustified,
) -> FileResponse:
    """The finished clip (the download is audited with its SHA-256)."""
    data_dir = get_runtime(request).settings.data_dir
    path, export = exports.fetch(
        db=db, actor=actor, why=why, export_id=export_id, data_dir=data_dir
    )
    return FileResponse(
        path,
        media_type="video/mp4",
        filename=f"camera-{export.camera_id}-export-{export.id}.mp4",
        headers={"X-Content-SHA256": export.sha256 or ""},
    )
