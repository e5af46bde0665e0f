"""Errors the redaction engine raises.

They carry no HTTP status: the job API (:mod:`signalfire.redaction.jobs`) turns them
into domain errors, the command line prints them.
"""

from __future__ import annotations

from pathlib import Path


class RedactionError(Exception):
    """Base of the engine's errors; ``detail`` is the message for a person."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnreadableVideo(RedactionError):
    """The input is missing, not a video, or breaks off while being decoded.

    ``detail`` names the file (for a local operator); ``problem`` is the same message
    without it, for a service that names its input by id rather than by server path.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path} {problem}")
        self.problem = problem

    def about(self, name: str) -> str:
        """The same message about ``name`` (e.g. ``clip 1f3e...``), not the file's path."""
        return f"{name} {self.problem}"


class ModelMissing(RedactionError):
    """A detector's model file is not installed."""


class InvalidEdits(RedactionError):
    """Review edits that name tracks or frames the clip does not have."""


class FrameOutOfRange(RedactionError):
    """A frame index outside the clip."""
