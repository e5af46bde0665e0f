"""Audited events of redaction: footage leaving the system."""

from __future__ import annotations

from typing import ClassVar

from signalfire.core.events import Event


class RedactionExported(Event):
    """A redacted clip was produced for release (the record names the job)."""

    topic: ClassVar[str] = "redaction.exported"
    input_name: str
    input_sha256: str
    output_sha256: str
    output_bytes: int
    frames: int
    tracks_kept: int
    tracks_removed: int
    manual_boxes: int
    whole_frame_ranges: int


class RedactionDownloaded(Event):
    """A redacted clip was downloaded."""

    topic: ClassVar[str] = "redaction.downloaded"
    output_sha256: str
