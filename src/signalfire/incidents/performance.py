"""Live response-time figures for supervisors: each interval over recent incidents,
against its standard's target. The arithmetic is pure; :func:`recent` reads timelines."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.core.auth.actor import Actor
from signalfire.incidents import intervals
from signalfire.incidents.models import Incident, TimelineEvent

#: Interval -> (target seconds, the standard that sets it).
TARGETS: dict[str, tuple[float, str]] = {
    "answer": (15.0, "NENA-STA-020.1: 90% answered within 15 s"),
    "call_processing": (60.0, "NFPA 1225: alarm processing within 60 s"),
    "first_unit_turnout": (80.0, "NFPA 1710: turnout within 80 s (fire)"),
    "first_unit_travel": (240.0, "NFPA 1710: first engine travel within 240 s"),
}


@dataclass(frozen=True, slots=True)
class Figure:
    """One interval over many incidents."""

    interval: str
    count: int
    median_s: float | None
    p90_s: float | None
    within_target: float | None  # share of measured incidents within the target
    target_s: float
    standard: str


def nearest_rank(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile.

    >>> nearest_rank([10.0, 20.0, 30.0, 40.0], 90)
    40.0
    >>> nearest_rank([], 50) is None
    True
    """
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def figures(measured: Sequence[intervals.Intervals]) -> list[Figure]:
    """Each targeted interval summarised over ``measured`` (missing values skipped).

    >>> a = intervals.Intervals(10.0, 50.0, 70.0, 200.0, 330.0)
    >>> b = intervals.Intervals(20.0, 70.0, None, None, None)
    >>> [(f.interval, f.count, f.within_target) for f in figures([a, b])][:2]
    [('answer', 2, 0.5), ('call_processing', 2, 0.5)]
    """
    result = []
    for name, (target, standard) in TARGETS.items():
        values = [v for m in measured if (v := getattr(m, name)) is not None]
        within = sum(v <= target for v in values) / len(values) if values else None
        result.append(
            Figure(
                name,
                len(values),
                nearest_rank(values, 50),
                nearest_rank(values, 90),
                within,
                target,
                standard,
            )
        )
    return result


def recent(*, db: Session, actor: Actor, since: datetime) -> list[intervals.Intervals]:
    """Intervals of the caller's agency's incidents created since ``since``."""
    query = (
        select(
            TimelineEvent.incident_id, TimelineEvent.kind, TimelineEvent.at, TimelineEvent.unit_id
        )
        .join(Incident, Incident.id == TimelineEvent.incident_id)
        .where(Incident.created_at >= since)
    )
    if actor.agency_id is not None:
        query = query.where(Incident.agency_id == actor.agency_id)
    steps: dict[int, list[intervals.Step]] = defaultdict(list)
    for incident_id, kind, at, unit_id in db.execute(query):
        steps[incident_id].append(intervals.Step(intervals.Kind(kind), at, unit_id))
    return [intervals.compute(s) for s in steps.values()]
