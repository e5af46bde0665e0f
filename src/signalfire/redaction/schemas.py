"""Request and response bodies of the redaction job API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from signalfire.core.schemas import RequestBody, ResponseBody
from signalfire.redaction.options import Edits, RedactionOptions
from signalfire.redaction.report import RedactionReport, TrackEntry

Status = Literal["analysing", "review", "exporting", "done", "failed"]


class ClipUploaded(ResponseBody):
    """An uploaded clip, to name in :class:`JobCreate`."""

    clip: str
    bytes: int
    sha256: str


class JobCreate(RequestBody):
    """A redaction job for an uploaded clip or a file in the server's data directory."""

    clip: str | None = Field(None, description="Id from POST /api/redactions/clips.")
    path: str | None = Field(
        None, description="A clip on the server, relative to its data directory."
    )
    options: RedactionOptions = Field(default_factory=RedactionOptions)
    edits: Edits = Field(default_factory=Edits)
    export: bool = Field(
        False, description="Export as soon as the analysis is done (no review step)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> JobCreate:
        if (self.clip is None) == (self.path is None):
            raise ValueError("give exactly one of clip (an uploaded clip) or path")
        return self


class Progress(ResponseBody):
    """How far the current stage is."""

    stage: Literal["analyse", "render", "idle"]
    done: int
    total: int


class JobRead(ResponseBody):
    """A redaction job: its state, what the analysis found, the reviewer's edits."""

    id: str
    status: Status
    created_at: datetime
    created_by: str
    purpose: str
    case_number: str | None
    source: str
    options: RedactionOptions
    edits: Edits
    progress: Progress
    error: str | None
    frame_count: int | None
    fps: float | None
    tracks: list[TrackEntry]
    report: RedactionReport | None
