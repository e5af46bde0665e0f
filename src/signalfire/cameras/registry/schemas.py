"""Request and response bodies of the camera registry: cameras, health, camera events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from signalfire.cameras.registry.sources import check_source, mask, mask_text
from signalfire.core.schemas import Latitude, Longitude, RequestBody, ResponseBody
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
