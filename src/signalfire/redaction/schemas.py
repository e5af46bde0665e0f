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


#: An uploaded clip's id: ``uuid4().hex``, as ``POST /api/redactions/clips`` gives it.
CLIP_ID = r"^[0-9a-f]{32}$"


class JobCreate(RequestBody):
    """A redaction job for media of the caller's agency, named by id: an uploaded clip
    or a finished clip export of one of its cameras (never a file path)."""

    clip: str | None = Field(
        None,
        min_length=32,
        max_length=32,
        pattern=CLIP_ID,
        description="Id from POST /api/redactions/clips (32 lowercase hex digits).",
    )
    camera_export: int | None = Field(
        None,
        ge=1,
        le=2**63 - 1,
        description="Id of a finished clip export of one of your agency's cameras "
        "(POST /api/cameras/{id}/exports).",
    )
    options: RedactionOptions = Field(default_factory=RedactionOptions)
    edits: Edits = Field(default_factory=Edits)
    export: bool = Field(
        False, description="Export as soon as the analysis is done (no review step)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> JobCreate:
        if (self.clip is None) == (self.camera_export is None):
            raise ValueError(
                "give exactly one of clip or camera_export (an uploaded clip's id, or a "
                "finished camera export's id)"
            )
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
