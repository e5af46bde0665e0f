"""Events of the incidents domain."""

from __future__ import annotations

from typing import ClassVar

from signalfire.core.events import Event
from signalfire.incidents.schemas import IncidentRead


class IncidentChanged(Event):
    """An incident was created or changed; carries its full state for live views."""

    topic: ClassVar[str] = "incident.changed"
    incident: IncidentRead
    change: str


class CallerDetailsRead(Event):
    """Someone looked at who called (protected data)."""

    topic: ClassVar[str] = "incident.caller_read"


class NoteAdded(Event):
    topic: ClassVar[str] = "incident.note_added"
    note_id: int


class IncidentsLinked(Event):
    topic: ClassVar[str] = "incident.linked"
    other_id: int
    kind: str


class NatureAdded(Event):
    topic: ClassVar[str] = "nature.added"
    code: str
