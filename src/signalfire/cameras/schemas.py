"""Request and response bodies of the cameras API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from signalfire.cameras.sources import check_source, mask, mask_text
from signalfire.core.schemas import Latitude, Longitude, RequestBody, ResponseBody, Timestamp
from signalfire.video.config import PipelineConfig

RecordingMode = Literal["off", "continuous", "event"]
HealthState = Literal["online", "degraded", "offline", "unknown"]

_SOURCE_HELP = (
    "Where the video comes from: rtsp://, rtsps://, http(s):// (MJPEG, HLS) or the "
    "absolute path of a video file on the worker machines."
)
_ANALYSIS_HELP = (
    "What to detect: the video pipeline's configuration (frame rate, motion gate, "
    "detector, and rules with their zones and lines in normalised image coordinates, "
    "0..1 from the top-left corner, and cool-downs)."
)


class _Sourced(RequestBody):
    @field_validator("source", check_fields=False)
    @classmethod
    def _valid_source(cls, value: str | None) -> str | None:
        return None if value is None else check_source(value)


class CameraCreate(_Sourced):
    name: str = Field(min_length=1, max_length=100, examples=["Rautatientori east"])
    source: str = Field(min_length=1, max_length=1000, description=_SOURCE_HELP)
    lat: Latitude
    lon: Longitude
    heading_deg: float = Field(0.0, ge=0, lt=360, description="Clockwise from north.")
    fov_deg: float = Field(60.0, gt=0, le=360, description="Horizontal field of view.")
    enabled: bool = True
    analysis: PipelineConfig = Field(default_factory=PipelineConfig, description=_ANALYSIS_HELP)
    recording_mode: RecordingMode = "event"
    retention_days: float = Field(7.0, gt=0, le=3650)
    segment_seconds: int = Field(10, ge=2, le=600, description="Length of recorded pieces.")


class CameraUpdate(_Sourced):
    name: str | None = Field(None, min_length=1, max_length=100)
    source: str | None = Field(None, min_length=1, max_length=1000, description=_SOURCE_HELP)
    lat: Latitude | None = None
    lon: Longitude | None = None
    heading_deg: float | None = Field(None, ge=0, lt=360)
    fov_deg: float | None = Field(None, gt=0, le=360)
    enabled: bool | None = None
    analysis: PipelineConfig | None = Field(None, description=_ANALYSIS_HELP)
    recording_mode: RecordingMode | None = None
    retention_days: float | None = Field(None, gt=0, le=3650)
    segment_seconds: int | None = Field(None, ge=2, le=600)


class HealthRead(ResponseBody):
    state: HealthState
    last_frame_at: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    retry_at: datetime | None = None
    worker: str | None = None
    changed_at: datetime | None = None

    @field_validator("last_error")
    @classmethod
    def _no_credentials(cls, value: str | None) -> str | None:
        """Errors from FFmpeg or OpenCV may repeat the source URL: mask any URL in them."""
        return None if value is None else mask_text(value)


class CameraRead(ResponseBody):
    id: int
    agency_id: int
    name: str
    source: str
    lat: float
    lon: float
    heading_deg: float
    fov_deg: float
    enabled: bool
    analysis: dict[str, Any]
    recording_mode: RecordingMode
    retention_days: float
    segment_seconds: int
    created_at: datetime
    updated_at: datetime
    health: HealthRead

    @field_validator("source")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        """Shown without any password, token or key it holds."""
        return mask(value)


class EventRead(ResponseBody):
    id: int
    camera_id: int
    rule: str
    kind: str
    occurred_at: datetime
    track_id: int | None
    boxes: list[list[float]]
    direction: str | None
    detail: str
    has_snapshot: bool
    alert_id: int | None


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
