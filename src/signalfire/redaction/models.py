"""The redaction job table: every job's state, progress and results, shared by every
process, so a job outlives the process that ran it and any replica can answer for it.

The analysis itself (tracks and their boxes) is a file beside the job's output
(``data_dir/redactions/<job id>/analysis.npz``); the row holds what the API shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from signalfire.core.db import Base, UtcDateTime
from signalfire.core.events import ActorRef
from signalfire.redaction.options import Edits, RedactionOptions
from signalfire.redaction.report import RedactionReport, TrackEntry
from signalfire.redaction.schemas import JobRead, Progress, Status

#: States in which a process is working on the job (its ``holder``).
RUNNING: tuple[Status, ...] = ("analysing", "exporting")


class RedactionJob(Base):
    """One clip on its way to a redacted export, as the API shows it."""

    __tablename__ = "redaction_jobs"
    __table_args__ = (
        # Listing an agency's jobs; a starting process looks up the running ones.
        Index("ix_redaction_jobs_agency_id_created_at", "agency_id", "created_at"),
        Index("ix_redaction_jobs_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4().hex
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_by: Mapped[int | None] = mapped_column(Integer)  # user id
    created_by_username: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(500))
    case_number: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(100))  # e.g. upload:<id>, camera_export:<id>
    source_name: Mapped[str] = mapped_column(String(100))  # e.g. clip <id>, in messages
    source_field: Mapped[str] = mapped_column(String(20))  # the request field that named it
    input_path: Mapped[str] = mapped_column(Text)  # server path; never shown
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    edits: Mapped[dict[str, Any]] = mapped_column(JSON)
    export_when_ready: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))  # analyse, render, idle
    done: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    frame_count: Mapped[int | None] = mapped_column(Integer)
    fps: Mapped[float | None] = mapped_column(Float)
    tracks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # TrackEntry, last written
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The process running it (``host:pid:token``) while analysing or exporting.
    holder: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    def actor_ref(self) -> ActorRef:
        """Who created the job, as the audit trail records it."""
        return ActorRef(
            user_id=self.created_by, username=self.created_by_username, agency_id=self.agency_id
        )

    def read(self) -> JobRead:
        """The job as the API shows it."""
        running = self.status in RUNNING
        stage = ("render" if self.stage == "render" else "analyse") if running else "idle"
        return JobRead(
            id=self.id,
            status=self.status,
            created_at=self.created_at,
            created_by=self.created_by_username,
            purpose=self.purpose,
            case_number=self.case_number,
            source=self.source,
            options=RedactionOptions.model_validate(self.options),
            edits=Edits.model_validate(self.edits),
            progress=Progress(stage=stage, done=self.done, total=self.total),
            error=self.error,
            frame_count=self.frame_count,
            fps=self.fps,
            tracks=[TrackEntry.model_validate(t) for t in self.tracks],
            report=None if self.report is None else RedactionReport.model_validate(self.report),
        )
