"""HTTP routes of redaction jobs: upload a clip or name a camera export (by id, never a
path), follow the analysis, review (tracks, manual boxes, whole frames, preview frames),
export, download.

Creating a job needs a purpose and a case number (``X-Signalfire-Purpose``,
``X-Signalfire-Case``); every export is audited with them and the output's SHA-256.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from signalfire.api.permissions import CaseJustified, requires
from signalfire.api.session import DbSession, get_runtime
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm
from signalfire.core.db import sqlite_file
from signalfire.core.errors import Conflict, Invalid
from signalfire.core.events import emit
from signalfire.redaction import media
from signalfire.redaction.errors import UnreadableVideo
from signalfire.redaction.events import RedactionDownloaded
from signalfire.redaction.faces import CenterFace
from signalfire.redaction.jobs import JobStore, Source, engine_errors
from signalfire.redaction.options import Edits
from signalfire.redaction.schemas import ClipUploaded, JobCreate, JobRead

router = APIRouter(prefix="/api/redactions", tags=["redaction"])
Exporter = Annotated[Actor, requires(Perm.VIDEO_EXPORT)]
_store_lock = threading.Lock()


def jobs(request: Request) -> JobStore:
    """This app's job store, made on first use (the face model loads then)."""
    state = request.app.state
    with _store_lock:
        store: JobStore | None = getattr(state, "redaction_jobs", None)
        if store is None:
            runtime = get_runtime(request)
            with engine_errors():  # the face model may be missing
                detector = CenterFace()
            store = JobStore(
                runtime.settings.data_dir / "redactions",
                sessions=runtime.sessions,
                detector=detector,
                database=sqlite_file(runtime.settings.database.url),
            )
            state.redaction_jobs = store
    return store


@router.post("/clips", response_model=ClipUploaded, status_code=201)
async def upload_clip(request: Request, actor: Exporter) -> ClipUploaded:
    """Upload a clip as the raw request body (any container FFmpeg reads)."""
    store = jobs(request)
    clip = uuid.uuid4().hex
    target = store.clip_path(clip, actor)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with media.atomic_output(target) as temp, temp.open("wb") as file:
        async for chunk in request.stream():
            file.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    try:
        media.probe(target)
    except UnreadableVideo as error:
        target.unlink(missing_ok=True)
        raise Invalid(error.about("the uploaded clip")) from None
    return ClipUploaded(clip=clip, bytes=size, sha256=digest.hexdigest())


def _source(request: Request, db: Session, data: JobCreate, actor: Actor) -> Source:
    store = jobs(request)
    if data.clip is not None:
        return store.uploaded(data.clip, actor)
    if data.camera_export is None:  # the schema lets exactly one through
        raise Invalid("give exactly one of clip or camera_export")
    data_dir = get_runtime(request).settings.data_dir
    return store.camera_export(db, actor, data.camera_export, data_dir)


@router.post("", response_model=JobRead, status_code=202)
def create_job(
    data: JobCreate, request: Request, db: DbSession, actor: Exporter, why: CaseJustified
) -> JobRead:
    """Start a job on an uploaded clip or a finished camera export of your agency: the
    analysis runs now; export with ``export: true`` or later."""
    store = jobs(request)
    return store.create(
        db=db,
        actor=actor,
        why=why,
        source=_source(request, db, data, actor),
        options=data.options,
        edits=data.edits,
        export_when_ready=data.export,
    )


@router.get("/{job_id}", response_model=JobRead)
def read_job(job_id: str, request: Request, db: DbSession, actor: Exporter) -> JobRead:
    """The job's state, progress, tracks and (when exported) report."""
    return jobs(request).get(db=db, job_id=job_id, actor=actor)


@router.put("/{job_id}/edits", response_model=JobRead)
def set_edits(
    job_id: str, edits: Edits, request: Request, db: DbSession, actor: Exporter
) -> JobRead:
    """Replace the review: removed tracks, manual boxes (followed forward), whole frames."""
    return jobs(request).set_edits(db=db, job_id=job_id, actor=actor, edits=edits)


@router.post("/{job_id}/export", response_model=JobRead, status_code=202)
def start_export(job_id: str, request: Request, db: DbSession, actor: Exporter) -> JobRead:
    """Export under the current edits (audited when done)."""
    return jobs(request).start_export(db=db, job_id=job_id, actor=actor)


@router.get("/{job_id}/preview", response_class=Response)
def preview_frame(
    job_id: str,
    request: Request,
    db: DbSession,
    actor: Exporter,
    t: Annotated[float | None, Query(ge=0, description="Time in seconds.")] = None,
    frame: Annotated[int | None, Query(ge=0, description="Frame index.")] = None,
) -> Response:
    """A frame as it will be exported (JPEG), at ``t`` seconds or frame ``frame``."""
    store = jobs(request)
    if t is not None and frame is None:
        frame = round(t * (store.get(db=db, job_id=job_id, actor=actor).fps or 0))
    elif t is not None or frame is None:
        raise Invalid("give exactly one of t (seconds) or frame")
    jpeg = store.preview_jpeg(db=db, job_id=job_id, actor=actor, frame=frame)
    return Response(jpeg, media_type="image/jpeg")


@router.get("/{job_id}/output", response_class=FileResponse)
def download(job_id: str, request: Request, db: DbSession, actor: Exporter) -> FileResponse:
    """The redacted MP4 (audited)."""
    store = jobs(request)
    job = store.get(db=db, job_id=job_id, actor=actor)
    path = store.output_path(job)
    output = job.report.output if job.report else None
    if output is None:
        raise Conflict(f"redaction job {job.id} has no finished export yet")
    emit(
        db,
        RedactionDownloaded(
            actor=actor.ref(),
            agency_id=actor.agency_id,
            record_type="redaction",
            record_id=job.id,
            purpose=job.purpose,
            case_number=job.case_number,
            output_sha256=output.sha256,
        ),
    )
    return FileResponse(path, media_type="video/mp4", filename=f"redacted-{job.id}.mp4")


@router.delete("/{job_id}", status_code=204)
def delete_job(job_id: str, request: Request, db: DbSession, actor: Exporter) -> None:
    """Forget a finished job and delete its files."""
    jobs(request).delete(db=db, job_id=job_id, actor=actor)
