"""Redaction jobs: analyse a clip, let a reviewer edit, export, audit the export.

Every job is a row of ``redaction_jobs`` (:mod:`signalfire.redaction.models`): each
state change (analysing, review, exporting, done, failed) is written there, progress at
most once a second, and every read comes from there, so a job outlives the process that
ran it and any replica can answer for it. Its files are under
``data_dir/redactions/<job id>/``: the analysis (``analysis.npz``), the export and its
report. A job runs in the process that started it, on that process's one worker thread
(a job keeps the CPU busy); review and export after a restart load the stored analysis.

A process that stops mid-job cannot finish it: when a server starts, a job it left
analysing or exporting is marked failed with the reason (:mod:`.recovery`).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
from sqlalchemy import CursorResult, event, update
from sqlalchemy.orm import Session, sessionmaker

from signalfire.cameras.recordings import exports, storage
from signalfire.core import clock
from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.db import transaction
from signalfire.core.errors import Conflict, DomainError, Invalid, NotFound
from signalfire.core.events import emit
from signalfire.redaction import analysis as stored
from signalfire.redaction import media, recovery
from signalfire.redaction.analysis import Analysis, Detector, analyse
from signalfire.redaction.analysis import Progress as ProgressFn
from signalfire.redaction.clip import check_edits, export, plan_for, preview
from signalfire.redaction.errors import RedactionError, UnreadableVideo
from signalfire.redaction.events import RedactionExported
from signalfire.redaction.models import RUNNING, RedactionJob
from signalfire.redaction.options import Edits, RedactionOptions
from signalfire.redaction.plan import FramePlan
from signalfire.redaction.report import RedactionReport, track_entries
from signalfire.redaction.schemas import JobRead

log = logging.getLogger(__name__)

#: Progress is written at most this often (seconds); it doubles as the heartbeat.
PROGRESS_EVERY = 1.0
#: Analyses kept in memory (the rest are loaded from their files when needed).
CACHED_ANALYSES = 4


@dataclass(frozen=True, slots=True)
class Source:
    """A job's input: the file, and how the API names it (never by its server path)."""

    path: Path
    label: str  # shown as the job's ``source`` and audited, e.g. ``upload:<id>``
    name: str  # in messages, e.g. ``clip <id>``
    field: str  # the request field that named it


class JobStore:
    """The redaction jobs of one server process, stored in the database."""

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
        self.holder = recovery.new_holder()
        self._lock = threading.RLock()
        self._analyses: OrderedDict[str, Analysis] = OrderedDict()
        self._plans: dict[str, tuple[Edits, FramePlan]] = {}
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
        db: Session,
        actor: Actor,
        why: Justification,
        source: Source,
        options: RedactionOptions,
        edits: Edits,
        export_when_ready: bool,
    ) -> JobRead:
        """Start analysing ``source`` once ``db`` commits; the job exports too if
        ``export_when_ready``."""
        with engine_errors(source):
            media.probe(source.path)
        now = clock.now()
        row = RedactionJob(
            id=uuid.uuid4().hex,
            agency_id=actor.agency_id,
            created_by=actor.user_id,
            created_by_username=actor.username,
            purpose=why.purpose,
            case_number=why.case_number,
            source=source.label,
            source_name=source.name,
            source_field=source.field,
            input_path=str(source.path),
            options=options.model_dump(mode="json"),
            edits=edits.model_dump(mode="json"),
            export_when_ready=export_when_ready,
            status="analysing",
            stage="analyse",
            done=0,
            total=0,
            tracks=[],
            holder=self.holder,
            created_at=now,
            updated_at=now,
        )
        db.add(row)
        db.flush()
        self._after_commit(db, self._analyse, row.id)
        return row.read()

    def get(self, *, db: Session, job_id: str, actor: Actor) -> JobRead:
        """The job, if it belongs to the caller's agency."""
        return self._visible(db, job_id, actor).read()

    def set_edits(self, *, db: Session, job_id: str, actor: Actor, edits: Edits) -> JobRead:
        """Replace the reviewer's edits (not while exporting)."""
        row = self._visible(db, job_id, actor, lock=True)
        analysis = self._reviewable(row)
        with engine_errors():
            check_edits(analysis, edits)
        row.edits = edits.model_dump(mode="json")
        row.tracks = self._tracks(job_id, analysis, edits)
        row.updated_at = clock.now()
        db.flush()
        return row.read()

    def start_export(self, *, db: Session, job_id: str, actor: Actor) -> JobRead:
        """Export under the current edits, once ``db`` commits."""
        row = self._visible(db, job_id, actor, lock=True)
        self._reviewable(row)
        row.status, row.stage, row.done, row.total = "exporting", "render", 0, 0
        row.holder, row.updated_at, row.finished_at = self.holder, clock.now(), None
        db.flush()
        self._after_commit(db, self._export, job_id)
        return row.read()

    def preview_jpeg(self, *, db: Session, job_id: str, actor: Actor, frame: int) -> bytes:
        """Frame ``frame`` as the export would show it, as JPEG."""
        row = self._visible(db, job_id, actor)
        analysis = self._reviewable(row, allow_exporting=True)
        edits = Edits.model_validate(row.edits)
        with engine_errors(self._source(row)):
            plan, new = self._plan(row.id, analysis, edits)
            image = preview(analysis, plan, frame)
        if new:
            row.tracks = self._tracks(job_id, analysis, edits)
        ok, encoded = cv2.imencode(".jpg", image)
        if not ok:
            raise Invalid(f"frame {frame} could not be encoded")
        return bytes(encoded)

    def output_path(self, job: JobRead) -> Path:
        """The exported file, once there is one."""
        if job.report is None or job.status == "exporting":
            raise Conflict(f"redaction job {job.id} has no finished export yet")
        return self.root / job.id / "redacted.mp4"

    def delete(self, *, db: Session, job_id: str, actor: Actor) -> None:
        """Forget the job and remove its files once ``db`` commits (not while it runs)."""
        row = self._visible(db, job_id, actor, lock=True)
        if row.status in RUNNING:
            raise Conflict(f"redaction job {job_id} is {row.status}; wait for it to end")
        db.delete(row)
        db.flush()
        with self._lock:
            self._analyses.pop(job_id, None)
            self._plans.pop(job_id, None)
        event.listen(
            db,
            "after_commit",
            lambda _: shutil.rmtree(self.root / job_id, ignore_errors=True),
            once=True,
        )

    def close(self) -> None:
        """Stop taking jobs (those running finish) and stop counting as a live holder."""
        self._worker.shutdown(wait=False, cancel_futures=True)
        recovery.release(self.holder)

    @staticmethod
    def _visible(db: Session, job_id: str, actor: Actor, *, lock: bool = False) -> RedactionJob:
        row = db.get(RedactionJob, job_id, with_for_update=lock)
        if row is None or not (actor.agency_id is None or row.agency_id == actor.agency_id):
            raise NotFound(f"no redaction job {job_id}")
        return row

    @staticmethod
    def _source(row: RedactionJob) -> Source:
        return Source(Path(row.input_path), row.source, row.source_name, row.source_field)

    def _after_commit(self, db: Session, work: Callable[[str], None], job_id: str) -> None:
        """Run ``work(job_id)`` on the worker once ``db`` commits (never if it rolls back)."""
        event.listen(db, "after_commit", lambda _: self._worker.submit(work, job_id), once=True)

    def _reviewable(self, row: RedactionJob, *, allow_exporting: bool = False) -> Analysis:
        if row.frame_count is None:
            raise Conflict(f"redaction job {row.id} is {row.status}; its analysis is not done")
        if row.status == "exporting" and not allow_exporting:
            raise Conflict(f"redaction job {row.id} is exporting; wait for it to end")
        return self._analysis(row.id)

    def _analysis(self, job_id: str) -> Analysis:
        """The job's analysis, from memory or its file."""
        with self._lock:
            found = self._analyses.get(job_id)
            if found is not None:
                self._analyses.move_to_end(job_id)
                return found
        try:
            found = stored.load(self.root / job_id / "analysis.npz")
        except RedactionError:
            raise Conflict(
                f"redaction job {job_id}'s analysis is no longer stored; start the job again"
            ) from None
        self._remember(job_id, found)
        return found

    def _remember(self, job_id: str, analysis: Analysis) -> None:
        with self._lock:
            self._analyses[job_id] = analysis
            while len(self._analyses) > CACHED_ANALYSES:
                self._plans.pop(self._analyses.popitem(last=False)[0], None)

    def _plan(self, job_id: str, analysis: Analysis, edits: Edits) -> tuple[FramePlan, bool]:
        """The frame plan of ``edits``, and whether it is new (the tracks' spans change)."""
        with self._lock:
            cached = self._plans.get(job_id)
        if cached is not None and cached[0] == edits:
            return cached[1], False
        plan = plan_for(analysis, edits)
        with self._lock:
            self._plans[job_id] = (edits, plan)
        return plan, True

    def _tracks(self, job_id: str, analysis: Analysis, edits: Edits) -> list[dict[str, Any]]:
        with self._lock:
            cached = self._plans.get(job_id)
        plan = cached[1] if cached is not None and cached[0] == edits else None
        return [t.model_dump(mode="json") for t in track_entries(analysis, edits, plan)]

    def _write(self, job_id: str, **values: Any) -> bool:
        """Update the job's row in a transaction of the worker's own, only while this
        process holds it (a row another process marked failed stays failed). Whether
        the row was updated."""
        query = update(RedactionJob).where(
            RedactionJob.id == job_id, RedactionJob.holder == self.holder
        )
        with transaction(self.sessions) as db:
            result = db.execute(query.values(updated_at=clock.now(), **values))
        return isinstance(result, CursorResult) and result.rowcount > 0

    def _progress(self, job_id: str) -> ProgressFn:
        last = 0.0

        def update_row(stage: str, done: int, total: int) -> None:
            nonlocal last
            if time.monotonic() - last < PROGRESS_EVERY and done != total:
                return
            last = time.monotonic()
            try:
                self._heartbeat(job_id, stage=stage, done=done, total=total)
            except Exception:  # progress is best effort; the job goes on
                log.warning("progress of redaction job %s not written", job_id, exc_info=True)

        return update_row

    def _heartbeat(self, job_id: str, **progress: Any) -> None:
        """Write the job's progress and touch every job this process holds (the queued
        ones too), so that none looks stale to a starting server."""
        now = clock.now()
        mine = (RedactionJob.holder == self.holder,)
        with transaction(self.sessions) as db:
            db.execute(
                update(RedactionJob)
                .where(RedactionJob.id == job_id, *mine)
                .values(updated_at=now, **progress)
            )
            db.execute(
                update(RedactionJob)
                .where(RedactionJob.status.in_(RUNNING), *mine)
                .values(updated_at=now)
            )

    def _job(self, job_id: str) -> tuple[RedactionJob, Source]:
        with transaction(self.sessions) as db:
            row = db.get(RedactionJob, job_id)
        if row is None:
            raise RuntimeError(f"redaction job {job_id} is gone")
        return row, self._source(row)

    def _analyse(self, job_id: str) -> None:
        try:
            row, source = self._job(job_id)
            edits = Edits.model_validate(row.edits)
            with engine_errors(source):
                analysis = analyse(
                    source.path,
                    options=RedactionOptions.model_validate(row.options),
                    faces=self.detector,
                    progress=self._progress(job_id),
                )
                check_edits(analysis, edits)
                stored.save(analysis, self.root / job_id / "analysis.npz")
        except Exception as error:
            self._failed(job_id, error)
            return
        self._remember(job_id, analysis)
        export_now = row.export_when_ready
        reviewed = self._write(
            job_id,
            status="exporting" if export_now else "review",
            stage="render" if export_now else "idle",
            done=0 if export_now else analysis.frame_count,
            total=0 if export_now else analysis.frame_count,
            frame_count=analysis.frame_count,
            fps=float(analysis.info.fps),
            tracks=self._tracks(job_id, analysis, edits),
            holder=self.holder if export_now else None,
        )
        if reviewed and export_now:
            self._worker.submit(self._export, job_id)

    def _export(self, job_id: str) -> None:
        target = self.root / job_id / "redacted.mp4"
        try:
            row, source = self._job(job_id)
            edits = Edits.model_validate(row.edits)
            with engine_errors(source):
                analysis = self._analysis(job_id)
                if self._plan(job_id, analysis, edits)[1]:
                    self._write(job_id, tracks=self._tracks(job_id, analysis, edits))
                report = export(analysis, target, edits=edits, progress=self._progress(job_id))
            try:
                self._exported(row, report, target)
            except BaseException:
                target.unlink(missing_ok=True)  # no export leaves without its audit entry
                raise
        except Exception as error:
            self._failed(job_id, error)
            return
        (self.root / job_id / "report.json").write_text(report.model_dump_json(indent=2))

    def _failed(self, job_id: str, error: Exception) -> None:
        if isinstance(error, DomainError):
            detail = error.detail
        else:
            log.exception("redaction job %s failed", job_id)
            detail = f"internal error ({type(error).__name__}); see the server log"
        try:
            self._write(
                job_id,
                status="failed",
                stage="idle",
                error=detail,
                holder=None,
                finished_at=clock.now(),
            )
        except Exception:
            log.exception("redaction job %s: its failure could not be written", job_id)

    def _exported(self, row: RedactionJob, report: RedactionReport, target: Path) -> None:
        """Mark the job done and audit the export, in one transaction."""
        assert report.output is not None
        kept = sum(1 for t in report.tracks if t.status == "kept")
        now = clock.now()
        with transaction(self.sessions) as db:
            result = db.execute(
                update(RedactionJob)
                .where(RedactionJob.id == row.id, RedactionJob.holder == self.holder)
                .values(
                    status="done",
                    stage="idle",
                    error=None,
                    report=report.model_dump(mode="json"),
                    holder=None,
                    updated_at=now,
                    finished_at=now,
                )
            )
            if not (isinstance(result, CursorResult) and result.rowcount == 1):
                raise Conflict(f"redaction job {row.id} was taken over; export it again")
            emit(
                db,
                RedactionExported(
                    actor=row.actor_ref(),
                    agency_id=row.agency_id,
                    record_type="redaction",
                    record_id=row.id,
                    purpose=row.purpose,
                    case_number=row.case_number,
                    input_name=row.source,
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
