"""Duplicate detection: is a new call about an incident we already have?

The scoring is pure; :func:`find` fetches the open incidents near in space and time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CompoundSelect, Executable, Select, bindparam, or_, select, union_all
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
    return _Scorer(new, radius_m=radius_m, window=window)(
        old.lat, old.lon, old.at, old.nature, old.caller_number
    )


class _Scorer:
    """:func:`score` of one new report against many stored incidents, with what
    depends on the new report alone worked out once."""

    __slots__ = ("_alike", "_new", "_radius_m", "_window_min")

    def __init__(self, new: Report, *, radius_m: float, window: timedelta) -> None:
        self._new = new
        self._radius_m = radius_m
        self._window_min = window.total_seconds() / 60
        self._alike: dict[str, float] = {}  # nature code -> compatibility with the new one

    def __call__(
        self,
        lat: float | None,
        lon: float | None,
        at: datetime,
        nature: Nature,
        caller_number: str | None,
    ) -> Match | None:
        new = self._new
        same_caller = bool(new.caller_number) and new.caller_number == caller_number
        alike = self._alike.get(nature.code)
        if alike is None:
            alike = self._alike[nature.code] = compatible(new.nature, nature)
        if not same_caller and alike == 0:  # unrelated, wherever and whenever it was
            return None
        minutes = abs((new.at - at).total_seconds()) / 60
        distance = None
        if new.lat is not None and new.lon is not None and lat is not None and lon is not None:
            distance = haversine_m(new.lat, new.lon, lat, lon)
        near = distance is not None and distance <= self._radius_m
        recent = minutes <= self._window_min
        if not same_caller and not (near and recent):
            return None
        space = 1 - distance / self._radius_m if near and distance is not None else 0.0
        time = 1 - minutes / self._window_min if recent else 0.0
        value = 0.4 * space + 0.3 * time + 0.3 * alike
        if same_caller:
            value = min(1.0, value + 0.5)
        return Match(round(value, 4), distance, round(minutes, 1), alike, same_caller)


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
# duplicate radius touches 1 to 6 below 77 degrees of latitude; up to 24 go in turns;
# nearer the poles, where a box spans thousands, the box alone is asked for).
_CELLS_PER_QUERY = 6
_MOST_CELLS = 24
_NO_CELL = -1  # pads a turn of fewer cells: no point lies in it, so its seek is empty
NEWEST_PER_CELL = 25
"""The most open incidents read from one grid cell, newest first: what bounds the cost
of a check however many are open around a call (a storm). In ordinary load a cell holds
a few; a dispatcher weighs :data:`MAX_CANDIDATES` at most."""

_IN_BOX = _open_incidents().where(
    Incident.created_at >= bindparam("since"),
    Incident.lat.between(bindparam("lat_min"), bindparam("lat_max")),
    Incident.lon.between(bindparam("lon_min"), bindparam("lon_max")),
)


def _newest_in_cell(k: int) -> Select[Any]:
    """The box's newest open incidents in the ``k``-th cell parameter, read backwards
    along the cell index and capped (the cap counts rows that pass every condition)."""
    newest = (
        _IN_BOX.where(Incident.cell == bindparam(f"cell{k}"))
        .order_by(Incident.created_at.desc())
        .limit(NEWEST_PER_CELL)
        .subquery(f"cell{k}")
    )
    return select(*newest.c)


_NEAR = union_all(*(_newest_in_cell(k) for k in range(_CELLS_PER_QUERY)))
_IN_BOX_CAPPED = _IN_BOX.order_by(Incident.created_at.desc()).limit(NEWEST_PER_CELL * _MOST_CELLS)
# The same caller's calls: the number's index finds its few calls, whose incidents are
# then read by id (joined the other way, SQLite would walk the agency's recent ones).
_SAME_CALLER = _open_incidents().where(
    Incident.id.in_(
        select(IncidentCaller.incident_id).where(
            IncidentCaller.number == bindparam("caller_number"),
            IncidentCaller.received_at >= bindparam("caller_since"),
        )
    )
)
# Both in one statement, the common case of a call: half the executions, which cost
# more than the queries themselves.
_NEAR_OR_SAME_CALLER: CompoundSelect[Any] = union_all(*_NEAR.selects, _SAME_CALLER)


def _cell_parameters(box: dict[str, Any]) -> list[dict[str, int]]:
    """The grid cells of ``box`` as parameters of :data:`_NEAR`, a set per query (the
    last one padded with :data:`_NO_CELL`); none when there are too many to be worth it."""
    cells = cells_covering(box["lat_min"], box["lat_max"], box["lon_min"], box["lon_max"])
    if len(cells) > _MOST_CELLS:
        return []
    turns = [cells[i : i + _CELLS_PER_QUERY] for i in range(0, len(cells), _CELLS_PER_QUERY)]
    return [
        {f"cell{k}": turn[k] if k < len(turn) else _NO_CELL for k in range(_CELLS_PER_QUERY)}
        for turn in turns
    ]


def _queries(new: Report, agency_id: int) -> list[tuple[Executable, dict[str, Any]]]:
    """The statements (with their parameters) that fetch what ``new`` may duplicate."""
    common: dict[str, Any] = {"agency_id": agency_id}
    caller = (
        {"caller_number": new.caller_number, "caller_since": new.at - SAME_CALLER_WINDOW}
        if new.caller_number
        else None
    )
    if new.lat is None or new.lon is None:
        return [(_SAME_CALLER, common | caller)] if caller else []
    dlat, dlon = degrees_box(new.lat, RADIUS_M)
    box = {
        "since": new.at - WINDOW,
        "lat_min": new.lat - dlat,
        "lat_max": new.lat + dlat,
        "lon_min": new.lon - dlon,
        "lon_max": new.lon + dlon,
    }
    turns = _cell_parameters(box)
    if not turns:
        near: list[tuple[Executable, dict[str, Any]]] = [(_IN_BOX_CAPPED, common | box)]
        return near + ([(_SAME_CALLER, common | caller)] if caller else [])
    first, *rest = [common | box | cells for cells in turns]
    head = (_NEAR_OR_SAME_CALLER, first | caller) if caller else (_NEAR, first)
    return [head, *((_NEAR, params) for params in rest)]


def find(
    *,
    db: Session,
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

    Two narrow queries, usually sent as one statement, feed the scoring: incidents
    inside a box around the new location within the time window (read through the grid
    cells that cover the box, the :data:`NEWEST_PER_CELL` newest of each), and
    incidents from the same caller number within two hours.
    """

    def eligible(incident_id: int) -> bool:
        # here rather than in SQL: an id bound there tempts SQLite, which keeps no
        # statistics, to walk the agency's ids (every incident it ever had)
        return incident_id != exclude_id and incident_id < before_id

    queries = _queries(new, agency_id)
    db.flush()  # the statements below bypass the session: let them see its changes
    connection = db.connection()
    found: dict[int, Candidate] = {}
    score_against = _Scorer(new, radius_m=RADIUS_M, window=WINDOW)
    for query, params in queries:
        rows: Iterable[tuple[Any, ...]] = connection.execute(query, params)
        for incident_id, number, lat, lon, created_at, code, caller in rows:
            nature = natures.get(code)
            if nature is None or not eligible(incident_id):
                continue
            match = score_against(lat, lon, created_at, nature, caller)
            best = found.get(incident_id)
            if match and (best is None or best.match.score < match.score):
                found[incident_id] = Candidate(incident_id, number, match)
    ranked = sorted(found.values(), key=lambda candidate: -candidate.match.score)
    return ranked[:MAX_CANDIDATES]
