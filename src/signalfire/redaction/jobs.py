"""Redaction jobs: analyse a clip, let a reviewer edit, export, audit the export.

Jobs live in the serving process (a dict guarded by a lock) and their files under
``data_dir/redactions/<job id>/``; one worker thread runs them one at a time, since a
job keeps the CPU busy. Jobs are not kept across restarts; their files are.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import cv2
from sqlalchemy.orm import Session, sessionmaker

from signalfire.cameras.recordings import exports, storage
from signalfire.core import clock
from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.db import transaction
from signalfire.core.errors import Conflict, DomainError, Invalid, NotFound
from signalfire.core.events import emit
from signalfire.redaction import media
from signalfire.redaction.analysis import Analysis, Detector, analyse
from signalfire.redaction.analysis import Progress as ProgressFn
from signalfire.redaction.clip import check_edits, export, plan_for, preview
from signalfire.redaction.errors import RedactionError, UnreadableVideo
from signalfire.redaction.events import RedactionExported
from signalfire.redaction.options import Edits, RedactionOptions
from signalfire.redaction.plan import FramePlan
from signalfire.redaction.report import RedactionReport, track_entries
from signalfire.redaction.schemas import JobRead, Progress, Status

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Source:
    """A job's input: the file, and how the API names it (never by its server path)."""

    path: Path
    label: str  # shown as the job's ``source`` and audited, e.g. ``upload:<id>``
    name: str  # in messages, e.g. ``clip <id>``
    field: str  # the request field that named it


@dataclass
class Job:
    """One clip on its way to a redacted export."""

    id: str
    actor: Actor
    why: Justification
    source: Source
    options: RedactionOptions
    edits: Edits
    export_when_ready: bool
    created_at: datetime = field(default_factory=clock.now)
    status: Status = "analysing"
    stage: str = "analyse"
    done: int = 0
    total: int = 0
    error: str | None = None
    analysis: Analysis | None = None
    plan: tuple[Edits, FramePlan] | None = None
    report: RedactionReport | None = None

    def read(self) -> JobRead:
        """The job as the API shows it."""
        analysis = self.analysis
        stage: Literal["analyse", "render", "idle"] = "idle"
        if self.status in ("analysing", "exporting"):
            stage = "render" if self.stage == "render" else "analyse"
        return JobRead(
            id=self.id,
            status=self.status,
            created_at=self.created_at,
            created_by=self.actor.username,
            purpose=self.why.purpose,
            case_number=self.why.case_number,
            source=self.source.label,
            options=self.options,
            edits=self.edits,
            progress=Progress(stage=stage, done=self.done, total=self.total),
            error=self.error,
            frame_count=analysis.frame_count if analysis else None,
            fps=float(analysis.info.fps) if analysis else None,
            tracks=track_entries(analysis, self.edits, self._plan()) if analysis else [],
            report=self.report,
        )

    def _plan(self) -> FramePlan | None:
        return self.plan[1] if self.plan and self.plan[0] == self.edits else None


class JobStore:
    """The redaction jobs of one server."""

    def __init__(
        self,
        root: Path,
        *,
        sessions: sessionmaker[Session],
        detector: Detector,
        database: Path | None,
    ) -> None:
        """Jobs under ``root``; ``database`` (the server's SQLite file) is never a source."""
        if database is not None:
            media.never_open(database)
        self.root = root
        self.sessions = sessions
        self.detector = detector
        self._jobs: dict[str, Job] = {}
        self._lock = threading.RLock()
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="redaction")

    def clip_path(self, clip: str, actor: Actor) -> Path:
        """Where the clip ``clip`` uploaded by ``actor``'s agency is kept."""
        if not (len(clip) == 32 and all(c in "0123456789abcdef" for c in clip)):
            raise Invalid("clip: not an uploaded clip id (32 hex digits)", field="clip")
        return self.root / "clips" / f"agency-{actor.agency_id or 0}" / f"{clip}.bin"

    def uploaded(self, clip: str, actor: Actor) -> Source:
        """The clip ``clip`` that ``actor``'s agency uploaded, or 404."""
        path = self.clip_path(clip, actor)
        if not path.is_file():
            raise NotFound(f"no uploaded clip {clip}", field="clip")
        return Source(path, f"upload:{clip}", f"clip {clip}", "clip")

    @staticmethod
    def camera_export(db: Session, actor: Actor, export_id: int, data_dir: Path) -> Source:
        """The finished clip export ``export_id`` of a camera of ``actor``'s agency; 404
        for another agency's, exactly as ``GET /api/cameras/exports/{id}`` answers."""
        found = exports.get(db, actor, export_id)
        if found.status != "done" or found.path is None:
            raise Conflict(
                f"camera_export {export_id} is {found.status}, not ready", field="camera_export"
            )
        path = storage.absolute(data_dir, found.path)
        if not path.is_file():
            raise NotFound(
                f"camera_export {export_id} has expired; ask for it again", field="camera_export"
            )
        name = f"camera export {export_id}"
        return Source(path, f"camera_export:{export_id}", name, "camera_export")

    def create(
        self,
        *,
        actor: Actor,
        why: Justification,
        source: Source,
        options: RedactionOptions,
        edits: Edits,
        export_when_ready: bool,
    ) -> Job:
        """Start analysing ``source``; the job exports too if ``export_when_ready``."""
        with engine_errors(source):
            media.probe(source.path)
        job = Job(uuid.uuid4().hex, actor, why, source, options, edits, export_when_ready)
        with self._lock:
            self._jobs[job.id] = job
        self._worker.submit(self._analyse, job)
        return job

    def get(self, job_id: str, actor: Actor) -> Job:
        """The job, if it belongs to the caller's agency."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or not (actor.agency_id is None or job.actor.agency_id == actor.agency_id):
            raise NotFound(f"no redaction job {job_id}")
        return job

    def set_edits(self, job: Job, edits: Edits) -> Job:
        """Replace the reviewer's edits (not while exporting)."""
        with self._lock:
            analysis = self._reviewable(job)
            with engine_errors():
                check_edits(analysis, edits)
            job.edits = edits
        return job

    def start_export(self, job: Job) -> Job:
        """Export under the current edits."""
        with self._lock:
            self._reviewable(job)
            job.status, job.stage, job.done, job.total = "exporting", "render", 0, 0
        self._worker.submit(self._export, job)
        return job

    def preview_jpeg(self, job: Job, frame: int) -> bytes:
        """Frame ``frame`` as the export would show it, as JPEG."""
        with self._lock:
            analysis = self._reviewable(job, allow_exporting=True)
            edits = job.edits
        with engine_errors(job.source):
            plan = self._plan(job, analysis, edits)
            image = preview(analysis, plan, frame)
        ok, encoded = cv2.imencode(".jpg", image)
        if not ok:
            raise Invalid(f"frame {frame} could not be encoded")
        return bytes(encoded)

    def output_path(self, job: Job) -> Path:
        """The exported file, once there is one."""
        if job.report is None or job.status == "exporting":
            raise Conflict(f"redaction job {job.id} has no finished export yet")
        return self.root / job.id / "redacted.mp4"

    def delete(self, job: Job) -> None:
        """Forget the job and remove its files (not while it runs)."""
        with self._lock:
            if job.status in ("analysing", "exporting"):
                raise Conflict(f"redaction job {job.id} is {job.status}; wait for it to end")
            self._jobs.pop(job.id, None)
        shutil.rmtree(self.root / job.id, ignore_errors=True)

    def _reviewable(self, job: Job, *, allow_exporting: bool = False) -> Analysis:
        if job.analysis is None:
            raise Conflict(f"redaction job {job.id} is {job.status}; its analysis is not done")
        if job.status == "exporting" and not allow_exporting:
            raise Conflict(f"redaction job {job.id} is exporting; wait for it to end")
        return job.analysis

    def _plan(self, job: Job, analysis: Analysis, edits: Edits) -> FramePlan:
        cached = job.plan
        if cached is not None and cached[0] == edits:
            return cached[1]
        plan = plan_for(analysis, edits)
        job.plan = (edits, plan)
        return plan

    def _progress(self, job: Job) -> ProgressFn:
        def update(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, done, total

        return update

    def _analyse(self, job: Job) -> None:
        try:
            with engine_errors(job.source):
                job.analysis = analyse(
                    job.source.path,
                    options=job.options,
                    faces=self.detector,
                    progress=self._progress(job),
                )
                check_edits(job.analysis, job.edits)
        except Exception as error:
            self._failed(job, error)
            return
        job.status = "review"
        if job.export_when_ready:
            self.start_export(job)

    def _export(self, job: Job) -> None:
        assert job.analysis is not None
        edits = job.edits
        target = self.root / job.id / "redacted.mp4"
        try:
            with engine_errors(job.source):
                self._plan(job, job.analysis, edits)
                report = export(job.analysis, target, edits=edits, progress=self._progress(job))
            try:
                self._audit(job, report, target)
            except BaseException:
                target.unlink(missing_ok=True)  # no export leaves without its audit entry
                raise
        except Exception as error:
            self._failed(job, error)
            return
        (self.root / job.id / "report.json").write_text(report.model_dump_json(indent=2))
        job.report, job.status, job.error = report, "done", None

    @staticmethod
    def _failed(job: Job, error: Exception) -> None:
        if isinstance(error, DomainError):
            job.error = error.detail
        else:
            log.exception("redaction job %s failed", job.id)
            job.error = f"internal error ({type(error).__name__}); see the server log"
        job.status = "failed"

    def _audit(self, job: Job, report: RedactionReport, target: Path) -> None:
        assert report.output is not None
        kept = sum(1 for t in report.tracks if t.status == "kept")
        with transaction(self.sessions) as db:
            emit(
                db,
                RedactionExported(
                    actor=job.actor.ref(),
                    agency_id=job.actor.agency_id,
                    record_type="redaction",
                    record_id=job.id,
                    purpose=job.why.purpose,
                    case_number=job.why.case_number,
                    input_name=job.source.label,
                    input_sha256=report.input.sha256,
                    output_sha256=report.output.sha256,
                    output_bytes=target.stat().st_size,
                    frames=report.output.frames,
                    tracks_kept=kept,
                    tracks_removed=len(report.tracks) - kept,
                    manual_boxes=len(report.manual_boxes),
                    whole_frame_ranges=len(report.whole_frames),
                ),
            )


@contextlib.contextmanager
def engine_errors(source: Source | None = None) -> Iterator[None]:
    """Turn the redaction engine's errors into :class:`Invalid` (422); a failure to read
    ``source`` is reported by its id and field, never its server path."""
    try:
        yield
    except UnreadableVideo as error:
        if source is None:
            raise Invalid(error.detail) from None
        raise Invalid(error.about(source.name), field=source.field) from None
    except RedactionError as error:
        raise Invalid(error.detail) from None
