"""Which units to send: per requirement of the run card, the eligible units ranked by
road travel time from where they are now, each with the reason for its place.

Units already committed elsewhere are shown but not proposed; units that cannot serve
(out of service, no position, no road route) are listed with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict
from signalfire.core.schemas import ResponseBody
from signalfire.dispatch import plans
from signalfire.dispatch.models import Assignment
from signalfire.geo.routing import Router
from signalfire.incidents import service as incidents
from signalfire.incidents.models import Incident
from signalfire.units import service as units
from signalfire.units.models import Unit
from signalfire.units.status import ASSIGNABLE, COMMITTED, UnitStatus


class UnitOption(ResponseBody):
    unit_id: int
    callsign: str
    unit_type: str
    agency_id: int
    status: UnitStatus
    eta_s: float | None = Field(description="Road travel time in seconds.")
    road_m: float | None = Field(description="Road distance in metres.")
    position: Literal["avl", "station", "none"]
    reason: str


class Wanted(ResponseBody):
    """A requirement as answered (no unit type and no capability: any unit)."""

    unit_type: str | None
    capability: str | None
    count: int


class RequirementResult(ResponseBody):
    requirement: Wanted
    proposed: list[UnitOption]
    alternatives: list[UnitOption]
    unavailable: list[UnitOption]
    short_by: int = Field(description="How many more units of this kind are needed.")


class Recommendation(ResponseBody):
    incident_id: int
    plan_id: int | None
    plan_name: str
    computed_at: datetime
    requirements: list[RequirementResult]


#: Without a run card: the nearest available unit of any kind.
ANY_UNIT = Wanted(unit_type=None, capability=None, count=1)


def recommend(*, db: Session, actor: Actor, incident_id: int, router: Router) -> Recommendation:
    """Rank the units for each requirement of the incident's run card."""
    incident = incidents.get(db=db, actor=actor, incident_id=incident_id)
    if incident.lat is None or incident.lon is None:
        raise Conflict(f"incident {incident.number} has no coordinates yet; locate it first")
    plan = plans.plan_for(
        db=db,
        agency_id=incident.agency_id,
        nature_code=incident.nature_code,
        priority=incident.priority,
    )
    wanted = (
        [
            Wanted(unit_type=r.get("unit_type"), capability=r.get("capability"), count=r["count"])
            for r in plan.requirements
        ]
        if plan
        else [ANY_UNIT]
    )
    options = _options(db, actor, incident, router)
    taken: set[int] = set()
    results = [_fill(req, options, taken) for req in wanted]
    return Recommendation(
        incident_id=incident.id,
        plan_id=plan.id if plan else None,
        plan_name=plan.name if plan else "no run card: nearest available unit",
        computed_at=clock.now(),
        requirements=results,
    )


def _options(
    db: Session, actor: Actor, incident: Incident, router: Router
) -> list[tuple[Unit, UnitOption]]:
    """Every unit that may serve the incident, with its ETA and standing."""
    pool = [
        u
        for u in units.list_units(db=db, actor=actor)
        if u.agency_id == incident.agency_id or incident.agency_id in u.shared_with
    ]
    placed = [u for u in pool if u.lat is not None and u.lon is not None]
    graph = router.graph
    target = graph.snap(float(incident.lat or 0), float(incident.lon or 0))
    origins = graph.snap_many(
        [float(u.lat or 0) for u in placed], [float(u.lon or 0) for u in placed]
    )
    seconds, metres = router.trips_to(target, origins, clock.now())
    trip = {u.id: (float(s), float(m)) for u, s, m in zip(placed, seconds, metres, strict=True)}
    busy = _commitments(db, [u.id for u in pool])
    made = []
    for unit in pool:
        eta, road = trip.get(unit.id, (float("inf"), float("inf")))
        reachable = eta != float("inf")
        made.append(
            (
                unit,
                UnitOption(
                    unit_id=unit.id,
                    callsign=unit.callsign,
                    unit_type=unit.unit_type,
                    agency_id=unit.agency_id,
                    status=UnitStatus(unit.status),
                    eta_s=round(eta, 1) if reachable else None,
                    road_m=round(road) if reachable else None,
                    position="none"
                    if unit.id not in trip
                    else ("avl" if unit.position_at else "station"),
                    reason=_standing(unit, incident, busy.get(unit.id), reachable),
                ),
            )
        )
    return sorted(made, key=lambda pair: pair[1].eta_s if pair[1].eta_s is not None else 1e12)


def _commitments(db: Session, unit_ids: list[int]) -> dict[int, str]:
    """Incident number each unit is currently assigned to."""
    rows = db.execute(
        select(Assignment.unit_id, incidents.number_of(incident_id=Assignment.incident_id)).where(
            Assignment.unit_id.in_(unit_ids), Assignment.ended_at.is_(None)
        )
    )
    return {int(unit_id): str(number) for unit_id, number in rows}


def _standing(unit: Unit, incident: Incident, assigned_to: str | None, reachable: bool) -> str:
    status = UnitStatus(unit.status)
    if assigned_to == incident.number:
        return "already assigned to this incident"
    if status in COMMITTED:
        return (
            f"{status.value.replace('_', ' ')} on incident {assigned_to}"
            if assigned_to
            else status.value.replace("_", " ")
        )
    if status not in ASSIGNABLE:
        return status.value.replace("_", " ")
    if unit.lat is None:
        return "no known position"
    if not reachable:
        return "no road route to the incident"
    return "available"


def _fill(
    requirement: Wanted, options: list[tuple[Unit, UnitOption]], taken: set[int]
) -> RequirementResult:
    matching = [(u, o) for u, o in options if _matches(u, requirement)]
    ready = [o for u, o in matching if o.reason == "available" and u.id not in taken]
    proposed = ready[: requirement.count]
    taken.update(o.unit_id for o in proposed)
    chosen = {o.unit_id for o in proposed}
    alternatives = [o for o in ready if o.unit_id not in chosen]
    unavailable = [o for _u, o in matching if o.reason != "available"]
    return RequirementResult(
        requirement=requirement,
        proposed=proposed,
        alternatives=alternatives,
        unavailable=unavailable,
        short_by=requirement.count - len(proposed),
    )


def _matches(unit: Unit, requirement: Wanted) -> bool:
    return (requirement.unit_type is None or unit.unit_type == requirement.unit_type) and (
        requirement.capability is None or requirement.capability in unit.capabilities
    )
