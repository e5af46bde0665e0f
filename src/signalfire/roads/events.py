"""Events of the roads domain."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from signalfire.core.events import Event


class RoadClosed(Event):
    """A road segment was closed; routing avoids it."""

    topic: ClassVar[str] = "road.closed"
    edge: int
    street: str
    until: datetime | None
    reason: str


class RoadReopened(Event):
    """A closed road segment was opened again."""

    topic: ClassVar[str] = "road.reopened"
    edge: int
