"""Clip exports: recordings of a time range joined by remux, faces blurred, then fetched.

Asking is audited with the purpose and case; the work runs in the background (joining
is quick, redaction decodes and re-encodes every frame) with its progress stored on the
export; fetching the finished file is audited again with its SHA-256.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.cameras.events import ClipDownloaded, ClipExported, ClipExportRequested
from signalfire.cameras.models import ClipExport
from signalfire.cameras.recordings import service as recordings
from signalfire.cameras.recordings import storage
from signalfire.cameras.recordings.clips import concatenate
from signalfire.cameras.recordings.schemas import ClipRequest, ExportRead
from signalfire.cameras.registry import service as cameras
from signalfire.core import clock
from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.db import transaction
from signalfire.core.errors import Conflict, NotFound
from signalfire.core.events import emit
from signalfire.core.runtime import Runtime
from signalfire.redaction import redact_video
from signalfire.redaction.analysis import sha256_of

log = logging.getLogger("signalfire.cameras")

#: A finished export's file is deleted this long after it was made.
EXPORT_KEEP = timedelta(hours=24)
#: An export still "running" this long after it was asked for was cut off (a restart).
EXPORT_STALE = timedelta(hours=6)
_STAGES = {"analyse": (0.0, 0.6), "render": (0.6, 1.0)}


def exports_dir(data_dir: Path) -> Path:
    """Where finished exports wait to be fetched."""
    return data_dir / "exports"


def request(
    *, db: Session, actor: Actor, why: Justification, camera_id: int, data: ClipRequest
) -> ClipExport:
    """Open an export of the camera's recordings over the range (audited)."""
    camera = cameras.get(db, actor, camera_id)
    segments = recordings.segments_between(db, camera.id, data.starts_at, data.ends_at)
    if not segments:
        raise Conflict(
            f"camera {camera_id} has no recording between {data.starts_at.isoformat()} "
            f"and {data.ends_at.isoformat()}"
        )
    export = ClipExport(
        camera_id=camera.id,
        agency_id=camera.agency_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        purpose=why.purpose,
        case_number=why.case_number or "",
        requested_by=actor.user_id,
        created_at=clock.now(),
        status="running",
        progress=0.0,
        segments=[s.id for s in segments],
    )
    db.add(export)
    db.flush()
    emit(
        db,
        ClipExportRequested(
            actor=actor.ref(),
            agency_id=camera.agency_id,
            record_type="camera_export",
            record_id=str(export.id),
            purpose=why.purpose,
            case_number=why.case_number,
            camera_id=camera.id,
            export_id=export.id,
            starts_at=data.starts_at.isoformat(),
            ends_at=data.ends_at.isoformat(),
            segments=export.segments,
        ),
    )
    return export


def get(db: Session, actor: Actor, export_id: int) -> ClipExport:
    """An export of the actor's agency, or 404."""
    export = db.get(ClipExport, export_id)
    if export is None or not actor.acts_in(export.agency_id):
        raise NotFound(f"no clip export with id {export_id}")
    return export


def read(export: ClipExport) -> ExportRead:
    """The API view of an export."""
    return ExportRead.model_validate(export)


def fetch(
    *, db: Session, actor: Actor, why: Justification, export_id: int, data_dir: Path
) -> tuple[Path, ClipExport]:
    """The finished file of an export (the fetch is audited with its digest)."""
    export = get(db, actor, export_id)
    if export.status != "done" or export.path is None:
        raise Conflict(f"clip export {export_id} is {export.status}, not ready")
    path = storage.absolute(data_dir, export.path)
    if not path.is_file():
        raise NotFound(f"clip export {export_id} has expired; ask for it again")
    emit(
        db,
        ClipDownloaded(
            actor=actor.ref(),
            agency_id=export.agency_id,
            record_type="camera_export",
            record_id=str(export.id),
            purpose=why.purpose,
            case_number=why.case_number,
            camera_id=export.camera_id,
            export_id=export.id,
            sha256=export.sha256 or "",
        ),
    )
    return path, export


def start(runtime: Runtime, export_id: int) -> threading.Thread:
    """Make the export in a background thread."""
    thread = threading.Thread(
        target=run, args=(runtime, export_id), name=f"clip-export-{export_id}", daemon=True
    )
    thread.start()
    return thread


def run(runtime: Runtime, export_id: int) -> None:
    """Join the export's segments, blur the faces, and record the outcome."""
    data_dir = runtime.settings.data_dir
    with runtime.reader() as db:
        export = db.get(ClipExport, export_id)
        if export is None:
            return
        segment_paths = [
            storage.absolute(data_dir, s.path)
            for s in recordings.segments_by_id(db, export.segments)
        ]
    out_dir = exports_dir(data_dir)
    raw = out_dir / f".raw-{export_id}.mp4"
    final = out_dir / f"clip-{export_id}.mp4"
    progress = _ProgressWriter(runtime, export_id)
    try:
        concatenate(segment_paths, raw)
        report = redact_video(raw, final, progress=progress)
    except Exception as exc:
        log.exception("clip export failed", extra={"export": export_id})
        # Shown to the operator: the data directory's place on the server stays out of it.
        message = (
            str(exc).replace(str(data_dir.resolve()), "<data>").replace(str(data_dir), "<data>")
        )
        _finish(runtime, export_id, error=f"{type(exc).__name__}: {message}"[:500])
        return
    finally:
        raw.unlink(missing_ok=True)
    _finish(
        runtime,
        export_id,
        path=storage.relative(data_dir, final),
        sha256=sha256_of(final),
        report=report.model_dump(mode="json"),
        faces=len(report.tracks),
    )


class _ProgressWriter:
    """Stores the redaction's progress on the export, at most twice a second."""

    def __init__(self, runtime: Runtime, export_id: int) -> None:
        self.runtime, self.export_id, self._last = runtime, export_id, 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < 0.5 or total <= 0:
            return
        self._last = now
        low, high = _STAGES.get(stage, (0.0, 1.0))
        share = low + (high - low) * min(done / total, 1.0)
        with transaction(self.runtime.sessions) as db:
            export = db.get(ClipExport, self.export_id)
            if export is not None and export.status == "running":
                export.progress = round(share, 3)


def _finish(
    runtime: Runtime,
    export_id: int,
    *,
    path: str | None = None,
    sha256: str | None = None,
    report: dict[str, object] | None = None,
    faces: int = 0,
    error: str | None = None,
) -> None:
    with transaction(runtime.sessions) as db:
        export = db.get(ClipExport, export_id)
        if export is None:
            return
        export.status = "failed" if error else "done"
        export.progress = export.progress if error else 1.0
        export.error, export.path, export.sha256, export.report = error, path, sha256, report
        export.finished_at = clock.now()
        emit(
            db,
            ClipExported(
                agency_id=export.agency_id,
                record_type="camera_export",
                record_id=str(export.id),
                case_number=export.case_number,
                camera_id=export.camera_id,
                export_id=export.id,
                status=export.status,
                sha256=sha256,
                faces_hidden=faces,
            ),
        )


def expired(db: Session, data_dir: Path, now: datetime) -> list[Path]:
    """Finished exports older than :data:`EXPORT_KEEP`: forget their files (returned)."""
    query = select(ClipExport).where(
        ClipExport.path.is_not(None), ClipExport.finished_at < now - EXPORT_KEEP
    )
    paths = []
    for export in db.scalars(query):
        paths.append(storage.absolute(data_dir, export.path or ""))
        export.path = None
    stale = select(ClipExport).where(
        ClipExport.status == "running", ClipExport.created_at < now - EXPORT_STALE
    )
    for export in db.scalars(stale):
        export.status, export.finished_at = "failed", now
        export.error = "interrupted (the server stopped while it ran); ask for it again"
    return paths
