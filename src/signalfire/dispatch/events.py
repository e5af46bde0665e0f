"""Events of the dispatch domain."""

from __future__ import annotations

from typing import ClassVar

from signalfire.core.events import Event


class PlanChanged(Event):
    topic: ClassVar[str] = "plan.changed"
    nature_code: str
    change: str


class UnitAssigned(Event):
    topic: ClassVar[str] = "dispatch.assigned"
    unit_id: int
    callsign: str
    incident_number: str


class AssignmentEnded(Event):
    topic: ClassVar[str] = "dispatch.ended"
    unit_id: int
    callsign: str
    incident_number: str
    reason: str
