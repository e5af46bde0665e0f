"""Duplicate detection: is a new call about an incident we already have?

The scoring is pure; :func:`find` fetches the open incidents near in space and time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session

from signalfire.geo.distance import degrees_box, haversine_m
from signalfire.geo.grid import cells_covering
from signalfire.incidents.models import Incident, IncidentCaller
from signalfire.incidents.natures import Nature, compatible
from signalfire.incidents.schemas import OPEN_STATUSES

RADIUS_M = 500.0
WINDOW = timedelta(minutes=30)
SAME_CALLER_WINDOW = timedelta(hours=2)
_NO_ID_ABOVE = 2**31 - 1  # the largest id an INTEGER column holds
MAX_CANDIDATES = 10  # a dispatcher weighs a handful; more is noise on the intake screen


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
    nature: float  # 1 the same nature, 0.5 a related one, 0 a different one
    same_caller: bool

    @property
    def reasons(self) -> list[str]:
        """The evidence, in words."""
        reasons = [] if self.distance_m is None else [f"{self.distance_m:.0f} m away"]
        reasons.append(f"{self.minutes_apart:.0f} min apart")
        reasons.append(_NATURE_WORDS.get(self.nature, "different nature"))
        if self.same_caller:
            reasons.append("same caller number")
        return reasons


_NATURE_WORDS = {1.0: "same nature", 0.5: "related nature"}


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
    value = 0.4 * space + 0.3 * time + 0.3 * nature
    if same_caller:
        value = min(1.0, value + 0.5)
    return Match(round(value, 4), distance, round(minutes, 1), nature, same_caller)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An open incident that may be the same as a new report."""

    incident_id: int
    number: str
    match: Match


OpenIncidents = Select[int, str, float | None, float | None, datetime, str, str | None]


def _open_incidents() -> OpenIncidents:
    return (
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
        # equalities rather than IN: a constant IN list is re-rendered on every call
        .where(or_(*(Incident.status == s.value for s in sorted(OPEN_STATUSES))))
        .where(Incident.agency_id == bindparam("agency_id"))
    )


# Built once: intake runs these for every call, and building a statement costs more
# than running it. The grid cells come as a fixed number of parameters (a box of the
# duplicate radius touches 4 to 6 below 77 degrees of latitude; more go in turns).
_CELLS_PER_QUERY = 6
_NEAR = _open_incidents().where(
    Incident.cell.in_([bindparam(f"cell{k}") for k in range(_CELLS_PER_QUERY)]),
    Incident.created_at >= bindparam("since"),
    Incident.lat.between(bindparam("lat_min"), bindparam("lat_max")),
    Incident.lon.between(bindparam("lon_min"), bindparam("lon_max")),
)
# Two steps for the same caller: the number's index finds its few calls; joined in one
# query, SQLite would rather walk all of the agency's recent incidents.
_CALLS_FROM = select(IncidentCaller.incident_id).where(
    IncidentCaller.number == bindparam("caller_number"),
    IncidentCaller.received_at >= bindparam("since"),
)
_BY_ID = _open_incidents().where(Incident.id.in_(bindparam("ids", expanding=True)))


def _cell_parameters(box: dict[str, Any]) -> list[dict[str, int]]:
    """The grid cells of ``box`` as parameters of :data:`_NEAR`, a set per query (the
    last one padded with a repeat)."""
    cells = cells_covering(box["lat_min"], box["lat_max"], box["lon_min"], box["lon_max"])
    turns = [cells[i : i + _CELLS_PER_QUERY] for i in range(0, len(cells), _CELLS_PER_QUERY)]
    return [
        {f"cell{k}": turn[min(k, len(turn) - 1)] for k in range(_CELLS_PER_QUERY)} for turn in turns
    ]


def find(
    db: Session,
    *,
    new: Report,
    agency_id: int,
    natures: dict[str, Nature],
    exclude_id: int = 0,
    before_id: int = _NO_ID_ABOVE,
) -> list[Candidate]:
    """Open incidents of the agency that may be what ``new`` reports: the
    :data:`MAX_CANDIDATES` best, best first.

    ``exclude_id`` is the incident ``new`` describes, if it is stored; ``before_id``
    limits the search to incidents opened before it (intake: not those opened after it
    in the same group).

    Two narrow queries feed the scoring: incidents inside a box around the new location
    within the time window (read through the grid cells that cover the box), and
    incidents from the same caller number within two hours.
    """

    def _eligible(incident_id: int) -> bool:
        # here rather than in SQL: an id bound there tempts SQLite, which keeps no
        # statistics, to walk the agency's ids (every incident it ever had)
        return incident_id != exclude_id and incident_id < before_id

    common = {"agency_id": agency_id}
    queries: list[tuple[OpenIncidents, dict[str, Any]]] = []
    if new.lat is not None and new.lon is not None:
        dlat, dlon = degrees_box(new.lat, RADIUS_M)
        box = {
            "since": new.at - WINDOW,
            "lat_min": new.lat - dlat,
            "lat_max": new.lat + dlat,
            "lon_min": new.lon - dlon,
            "lon_max": new.lon + dlon,
        }
        queries += [(_NEAR, common | box | cells) for cells in _cell_parameters(box)]
    db.flush()  # the statements below bypass the session: let them see its changes
    connection = db.connection()
    if new.caller_number:
        since = new.at - SAME_CALLER_WINDOW
        calls = {"caller_number": new.caller_number, "since": since}
        ids = [i for i in connection.scalars(_CALLS_FROM, calls) if _eligible(i)]
        if ids:
            queries.append((_BY_ID, common | {"ids": ids}))
    found: dict[int, Candidate] = {}
    for query, params in queries:
        for incident_id, number, lat, lon, created_at, code, caller in connection.execute(
            query, params
        ):
            nature = natures.get(code)
            if nature is None or not _eligible(incident_id):
                continue
            match = score(new, Report(lat, lon, created_at, nature, caller))
            best = found.get(incident_id)
            if match and (best is None or best.match.score < match.score):
                found[incident_id] = Candidate(incident_id, number, match)
    ranked = sorted(found.values(), key=lambda candidate: -candidate.match.score)
    return ranked[:MAX_CANDIDATES]
