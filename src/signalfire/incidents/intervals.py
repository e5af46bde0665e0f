"""Response-time intervals from an incident timeline. Pure: no database.

Definitions follow ``shared/docs/response-intervals.md``: NENA-STA-020.1 answer time,
NFPA 1225 alarm (call) processing, NFPA 1710 turnout and travel, and total response.
"First unit" intervals are per incident; turnout and travel are per unit. A missing
timestamp gives ``None`` (counted as missing by analytics, never silently dropped); a
unit cancelled before arriving has no travel time and is flagged instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    """Timeline event kinds."""

    CALL_RECEIVED = "call_received"
    CALL_ANSWERED = "call_answered"
    INCIDENT_ENTERED = "incident_entered"
    LOCATION_CHANGED = "location_changed"
    NATURE_CHANGED = "nature_changed"
    PRIORITY_CHANGED = "priority_changed"
    STATUS_CHANGED = "status_changed"
    NOTE_ADDED = "note_added"
    LINKED = "linked"
    UNIT_DISPATCHED = "unit_dispatched"
    UNIT_EN_ROUTE = "unit_en_route"
    UNIT_ON_SCENE = "unit_on_scene"
    UNIT_TRANSPORTING = "unit_transporting"
    UNIT_AT_HOSPITAL = "unit_at_hospital"
    UNIT_CLEARED = "unit_cleared"
    UNIT_CANCELLED = "unit_cancelled"  # unassigned or reassigned before arriving
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Step:
    """One timeline event as the interval arithmetic needs it."""

    kind: Kind
    at: datetime
    unit_id: int | None = None


@dataclass(frozen=True, slots=True)
class UnitIntervals:
    """Turnout and travel of one unit's (first) response to the incident, in seconds."""

    unit_id: int
    turnout: float | None
    travel: float | None
    cancelled_before_arrival: bool


@dataclass(frozen=True, slots=True)
class Intervals:
    """Every interval of one incident, in seconds; ``None`` where a timestamp is missing."""

    answer: float | None
    call_processing: float | None
    first_unit_turnout: float | None
    first_unit_travel: float | None
    total_response: float | None
    units: list[UnitIntervals] = field(default_factory=list)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def _first(steps: list[Step], kind: Kind, unit_id: int | None = None) -> datetime | None:
    times = [s.at for s in steps if s.kind == kind and (unit_id is None or s.unit_id == unit_id)]
    return min(times) if times else None


def unit_intervals(steps: list[Step], unit_id: int) -> UnitIntervals:
    """Turnout (dispatched → en route) and travel (en route → on scene) of one unit.

    Examples
    --------
    >>> from datetime import datetime, timedelta, UTC
    >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
    >>> steps = [Step(Kind.UNIT_DISPATCHED, t0, 7),
    ...          Step(Kind.UNIT_EN_ROUTE, t0 + timedelta(seconds=55), 7),
    ...          Step(Kind.UNIT_ON_SCENE, t0 + timedelta(seconds=295), 7)]
    >>> unit_intervals(steps, 7)
    UnitIntervals(unit_id=7, turnout=55.0, travel=240.0, cancelled_before_arrival=False)
    """
    dispatched = _first(steps, Kind.UNIT_DISPATCHED, unit_id)
    en_route = _first(steps, Kind.UNIT_EN_ROUTE, unit_id)
    on_scene = _first(steps, Kind.UNIT_ON_SCENE, unit_id)
    cancelled = _first(steps, Kind.UNIT_CANCELLED, unit_id)
    cancelled_first = cancelled is not None and (on_scene is None or cancelled < on_scene)
    return UnitIntervals(
        unit_id=unit_id,
        turnout=_seconds(dispatched, en_route),
        travel=None if cancelled_first else _seconds(en_route, on_scene),
        cancelled_before_arrival=cancelled_first,
    )


def compute(events: Iterable[Step]) -> Intervals:
    """All intervals of one incident from its timeline.

    Examples
    --------
    A call received at 0 s, answered at 8 s, first unit dispatched at 50 s, rolling at
    110 s and on scene at 350 s:

    >>> from datetime import datetime, timedelta, UTC
    >>> t = lambda s: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
    >>> result = compute([
    ...     Step(Kind.CALL_RECEIVED, t(0)), Step(Kind.CALL_ANSWERED, t(8)),
    ...     Step(Kind.UNIT_DISPATCHED, t(50), 1), Step(Kind.UNIT_EN_ROUTE, t(110), 1),
    ...     Step(Kind.UNIT_ON_SCENE, t(350), 1)])
    >>> (result.answer, result.call_processing, result.total_response)
    (8.0, 42.0, 350.0)
    >>> (result.first_unit_turnout, result.first_unit_travel)
    (60.0, 240.0)
    """
    steps = sorted(events, key=lambda s: s.at)
    received = _first(steps, Kind.CALL_RECEIVED)
    answered = _first(steps, Kind.CALL_ANSWERED)
    first_dispatch = _first(steps, Kind.UNIT_DISPATCHED)
    first_on_scene = _first(steps, Kind.UNIT_ON_SCENE)
    unit_ids = sorted(
        {s.unit_id for s in steps if s.unit_id is not None and s.kind == Kind.UNIT_DISPATCHED}
    )
    units = [unit_intervals(steps, uid) for uid in unit_ids]
    # Units sent at the same instant: the lowest id counts as first, so the answer does
    # not depend on the order the events come in.
    dispatches = sorted(
        (s.at, s.unit_id) for s in steps if s.kind == Kind.UNIT_DISPATCHED and s.unit_id is not None
    )
    first_unit = dispatches[0][1] if dispatches else None
    first = next((u for u in units if u.unit_id == first_unit), None)
    return Intervals(
        answer=_seconds(received, answered),
        call_processing=_seconds(answered, first_dispatch),
        first_unit_turnout=first.turnout if first else None,
        first_unit_travel=first.travel if first else None,
        total_response=_seconds(received, first_on_scene),
        units=units,
    )
