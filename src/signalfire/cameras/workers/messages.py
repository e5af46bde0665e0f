"""What camera workers send back to the process that stores it (plain, picklable data).

Workers never touch the database: they decode, analyse and record, and report with
these messages; the supervisor stores them, raises alerts and publishes on the bus.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

State = Literal["online", "degraded", "offline"]


@dataclass(frozen=True, slots=True)
class CameraJob:
    """Everything a worker needs to run one camera (sent to it; picklable)."""

    camera_id: int
    source: str
    analysis: dict[str, object]
    recording_mode: str  # off, continuous, event
    segment_seconds: int
    segments_dir: str
    realtime: bool = True  # pace files like a live camera
    loop_files: bool = True  # a file starts over at its end
    snapshot_interval_s: float = 5.0
    retry_initial_s: float = 2.0
    retry_max_s: float = 120.0
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class HealthReport:
    """How a camera's stream is doing, sent on every change and every few seconds."""

    camera_id: int
    state: State
    at: float  # Unix time of the report
    last_frame_at: float | None
    error: str | None
    failures: int  # attempts in a row that failed
    retry_in_s: float | None  # when offline: the wait before the next attempt
    worker: str


@dataclass(frozen=True, slots=True)
class SnapshotReport:
    """The camera's latest picture, faces already blurred."""

    camera_id: int
    jpeg: bytes
    at: float


@dataclass(frozen=True, slots=True)
class RuleFiredReport:
    """A rule of the camera's analysis fired: a pipeline event, as a worker message."""

    camera_id: int
    rule: str
    kind: str
    frame_time: float  # Unix time the frame was captured (decoded)
    pts_s: float  # the frame's place in the stream, seconds
    track_id: int | None
    boxes: list[list[float]]
    direction: str | None
    detail: str
    jpeg: bytes | None = field(default=None, repr=False)  # faces already blurred


@dataclass(frozen=True, slots=True)
class SegmentReport:
    """A recorded segment was closed and renamed into place."""

    camera_id: int
    path: str  # absolute, on the worker machine (shared data directory)
    started_at: float  # Unix time
    ended_at: float
    frames: int
    size_bytes: int
    codec: str


Message = HealthReport | SnapshotReport | RuleFiredReport | SegmentReport
