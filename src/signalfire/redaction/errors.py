"""Errors a redaction can raise."""

from __future__ import annotations

from pathlib import Path

from signalfire.core.errors import Invalid


class UnreadableVideo(Invalid):
    """The input is missing, not a video, or breaks off while being decoded.

    ``detail`` names the file (for a local operator); ``problem`` is the same message
    without it, for a service that names its input by id rather than by server path.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path} {problem}")
        self.problem = problem

    def about(self, name: str, **extra: object) -> Invalid:
        """The same error about ``name`` (e.g. ``clip 1f3e...``), not the file's path."""
        return Invalid(f"{name} {self.problem}", **extra)
