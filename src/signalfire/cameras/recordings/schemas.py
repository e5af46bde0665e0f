"""Request and response bodies of recordings, evidence holds and clip exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from signalfire.core.schemas import RequestBody, ResponseBody, Timestamp


class SegmentRead(ResponseBody):
    id: int
    camera_id: int
    started_at: datetime
    ended_at: datetime
    frames: int
    size_bytes: int
    codec: str
    held: bool = False


class _TimeRange(RequestBody):
    starts_at: Timestamp
    ends_at: Timestamp

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must come after starts_at")
        return self


class HoldCreate(_TimeRange):
    reason: str = Field(min_length=1, max_length=500, examples=["assault on the platform"])
    case_number: str = Field(min_length=1, max_length=100, examples=["HKI-2026-004211"])


class HoldRelease(RequestBody):
    reason: str = Field(min_length=1, max_length=500, examples=["case closed, court order 12"])


class HoldRead(ResponseBody):
    id: int
    camera_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str
    case_number: str
    created_by: int | None
    created_at: datetime
    released_at: datetime | None
    released_by: int | None
    release_reason: str | None


class ClipRequest(_TimeRange):
    """A time range of one camera's recording to export (at most an hour)."""

    @model_validator(mode="after")
    def _short_enough(self) -> Self:
        if (self.ends_at - self.starts_at).total_seconds() > 3600:
            raise ValueError("a clip spans at most one hour; export longer ranges in parts")
        return self


class ExportRead(ResponseBody):
    id: int
    camera_id: int
    starts_at: datetime
    ends_at: datetime
    case_number: str
    created_at: datetime
    status: Literal["running", "done", "failed"]
    progress: float = Field(description="0 to 1.")
    error: str | None
    sha256: str | None = Field(description="Of the exported file, as downloaded.")
    segments: list[int]
    report: dict[str, Any] | None = Field(description="What the redaction hid, frame by frame.")
    finished_at: datetime | None
