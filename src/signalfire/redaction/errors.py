"""Errors a redaction can raise."""

from __future__ import annotations

from signalfire.core.errors import Invalid


class UnreadableVideo(Invalid):
    """The input is missing, not a video, or breaks off while being decoded."""
