"""Duplicate detection: is a new call about an incident we already have?

The scoring is pure; :func:`find` fetches the open incidents near in space and time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.geo.distance import degrees_box, haversine_m
from signalfire.incidents.models import Incident, IncidentCaller
from signalfire.incidents.natures import Nature, compatible
from signalfire.incidents.schemas import OPEN_STATUSES

RADIUS_M = 500.0
WINDOW = timedelta(minutes=30)
SAME_CALLER_WINDOW = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class Report:
    """What is known of a call or an incident for comparison."""

    lat: float | None
    lon: float | None
    at: datetime
    nature: Nature
    caller_number: str | None


@dataclass(frozen=True, slots=True)
class Match:
    score: float
    distance_m: float | None
    minutes_apart: float
    reasons: list[str]


def score(
    new: Report, old: Report, *, radius_m: float = RADIUS_M, window: timedelta = WINDOW
) -> Match | None:
    """How likely ``new`` reports the same thing as ``old`` (0 to 1), with reasons.

    Distance, time and nature each count; the same caller number is strong evidence on
    its own. Returns ``None`` when the two are clearly unrelated.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from signalfire.incidents.natures import DEFAULT_CATALOGUE as C
    >>> fire = next(n for n in C if n.code == "FIRE-STRUCTURE")
    >>> t = datetime(2026, 1, 1, 12, tzinfo=UTC)
    >>> a = Report(60.1700, 24.9400, t, fire, None)
    >>> b = Report(60.1710, 24.9400, t + timedelta(minutes=3), fire, None)
    >>> match = score(b, a)
    >>> round(match.score, 2), match.reasons
    (0.88, ['111 m away', '3 min apart', 'same nature'])
    """
    minutes = abs((new.at - old.at).total_seconds()) / 60
    same_caller = bool(new.caller_number) and new.caller_number == old.caller_number
    distance = None
    if new.lat is not None and new.lon is not None and old.lat is not None and old.lon is not None:
        distance = haversine_m(new.lat, new.lon, old.lat, old.lon)
    nature = compatible(new.nature, old.nature)
    near = distance is not None and distance <= radius_m
    recent = minutes <= window.total_seconds() / 60
    if not same_caller and not (near and recent and nature > 0):
        return None
    space = 1 - distance / radius_m if near and distance is not None else 0.0
    time = 1 - minutes / (window.total_seconds() / 60) if recent else 0.0
    reasons = []
    if distance is not None:
        reasons.append(f"{distance:.0f} m away")
    reasons.append(f"{minutes:.0f} min apart")
    reasons.append({1.0: "same nature", 0.5: "related nature"}.get(nature, "different nature"))
    value = 0.4 * space + 0.3 * time + 0.3 * nature
    if same_caller:
        reasons.append("same caller number")
        value = min(1.0, value + 0.5)
    return Match(round(value, 4), distance, round(minutes, 1), reasons)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An open incident that may be the same as a new report."""

    incident_id: int
    number: str
    match: Match


def find(
    db: Session,
    *,
    new: Report,
    agency_ids: list[int],
    natures: dict[str, Nature],
    exclude_id: int | None = None,
) -> list[Candidate]:
    """Open incidents of ``agency_ids`` that may be what ``new`` reports, best first.

    Two narrow queries feed the scoring: incidents inside a box around the new location
    within the time window, and incidents from the same caller number within two hours.
    """
    columns = (
        select(
            Incident.id,
            Incident.number,
            Incident.lat,
            Incident.lon,
            Incident.created_at,
            Incident.nature_code,
            IncidentCaller.number,
        )
        .outerjoin(IncidentCaller, IncidentCaller.incident_id == Incident.id)
        .where(Incident.status.in_([s.value for s in OPEN_STATUSES]))
        .where(Incident.agency_id.in_(agency_ids))
    )
    if exclude_id is not None:
        columns = columns.where(Incident.id != exclude_id)
    queries = []
    if new.lat is not None and new.lon is not None:
        dlat, dlon = degrees_box(new.lat, RADIUS_M)
        queries.append(
            columns.where(
                Incident.created_at >= new.at - WINDOW,
                Incident.lat.between(new.lat - dlat, new.lat + dlat),
                Incident.lon.between(new.lon - dlon, new.lon + dlon),
            )
        )
    if new.caller_number:
        queries.append(
            columns.where(
                IncidentCaller.number == new.caller_number,
                Incident.created_at >= new.at - SAME_CALLER_WINDOW,
            )
        )
    found: dict[int, Candidate] = {}
    for query in queries:
        for incident_id, number, lat, lon, created_at, code, caller in db.execute(query):
            nature = natures.get(code)
            if nature is None:
                continue
            match = score(new, Report(lat, lon, created_at, nature, caller))
            best = found.get(incident_id)
            if match and (best is None or best.match.score < match.score):
                found[incident_id] = Candidate(incident_id, number, match)
    return sorted(found.values(), key=lambda candidate: -candidate.match.score)
