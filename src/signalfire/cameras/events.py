"""Bus events of the cameras domain.

Registry changes, holds and exports are audited; health changes and stored camera events
are telemetry for the console (the alert a camera event raises is audited by the alerts
domain).
"""

from __future__ import annotations

from typing import ClassVar

from signalfire.cameras.recordings.schemas import HoldRead
from signalfire.cameras.registry.schemas import CameraRead, EventRead, HealthRead
from signalfire.core.events import Event


class CameraChanged(Event):
    """A camera was added, changed or removed; carries its registry entry."""

    topic: ClassVar[str] = "camera.changed"
    camera: CameraRead
    change: str


class CameraHealthChanged(Event):
    """A camera went online, degraded or offline."""

    topic: ClassVar[str] = "camera.health"
    audited: ClassVar[bool] = False
    camera_id: int
    health: HealthRead


class CameraEventDetected(Event):
    """A camera event was stored: the analysis fired a rule (a line crossed, a zone entered)."""

    topic: ClassVar[str] = "camera.event"
    audited: ClassVar[bool] = False
    camera_id: int
    event: EventRead
    #: When the frame that fired it was captured (for latency figures).
    frame_time: float


class EvidenceHoldPlaced(Event):
    """Recordings of a time range are kept past retention for a case."""

    topic: ClassVar[str] = "camera.hold.placed"
    camera_id: int
    hold: HoldRead


class EvidenceHoldReleased(Event):
    """A hold ended; its recordings fall under retention again."""

    topic: ClassVar[str] = "camera.hold.released"
    camera_id: int
    hold: HoldRead
    reason: str


class ClipExported(Event):
    """An asked-for clip is ready (faces blurred), or could not be made."""

    topic: ClassVar[str] = "camera.clip.exported"
    camera_id: int
    export_id: int
    status: str
    sha256: str | None
    faces_hidden: int


class RecordingsPurged(Event):
    """Recordings past their retention were deleted."""

    topic: ClassVar[str] = "camera.recordings.purged"
    camera_id: int
    segments: int
    size_bytes: int


class ClipExportRequested(Event):
    """Someone asked for a clip of recordings to leave the system (purpose and case)."""

    topic: ClassVar[str] = "camera.clip.requested"
    camera_id: int
    export_id: int
    starts_at: str
    ends_at: str
    segments: list[int]


class ClipDownloaded(Event):
    """A finished (redacted) clip was fetched."""

    topic: ClassVar[str] = "camera.clip.downloaded"
    camera_id: int
    export_id: int
    sha256: str
