"""Sending units: assign, cancel, reassign, follow their status.

Incident status follows its units: ``dispatched`` once a unit is assigned, ``on_scene``
once one arrives, back to ``pending`` if every unit is cancelled before arriving.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict, Forbidden
from signalfire.core.events import emit
from signalfire.dispatch import events
from signalfire.dispatch.models import Assignment
from signalfire.incidents import service as incidents
from signalfire.incidents.intervals import Kind
from signalfire.incidents.models import Incident
from signalfire.incidents.responders import Responder, Responders
from signalfire.incidents.schemas import IncidentStatus
from signalfire.units import service as units
from signalfire.units.models import Unit
from signalfire.units.status import ARRIVED, ASSIGNABLE, REASSIGNABLE, TRANSITIONS, UnitStatus

_TIMELINE = {
    UnitStatus.EN_ROUTE: Kind.UNIT_EN_ROUTE,
    UnitStatus.ON_SCENE: Kind.UNIT_ON_SCENE,
    UnitStatus.TRANSPORTING: Kind.UNIT_TRANSPORTING,
    UnitStatus.AT_HOSPITAL: Kind.UNIT_AT_HOSPITAL,
}
_FREE = frozenset({UnitStatus.AVAILABLE, UnitStatus.AVAILABLE_ON_RADIO})


def active_assignment(*, db: Session, unit_id: int) -> Assignment | None:
    """The unit's current assignment, if it has one."""
    return db.scalar(
        select(Assignment).where(Assignment.unit_id == unit_id, Assignment.ended_at.is_(None))
    )


def assignments(*, db: Session, actor: Actor, incident_id: int) -> list[Assignment]:
    """Every assignment of an incident, oldest first."""
    incident = incidents.get(db=db, actor=actor, incident_id=incident_id)
    query = select(Assignment).where(Assignment.incident_id == incident.id)
    return list(db.scalars(query.order_by(Assignment.id)))


def assign(*, db: Session, actor: Actor, incident_id: int, unit_ids: list[int]) -> list[Assignment]:
    """Send units to an incident. Each must be free; of two dispatchers sending the
    same unit at once, one wins and the other gets a 409."""
    incident = incidents.get_for_change(db=db, actor=actor, incident_id=incident_id)
    incidents.require_open(incident=incident)
    made = []
    for unit_id in dict.fromkeys(unit_ids):
        unit = units.get_unit(db=db, actor=actor, unit_id=unit_id)
        _check_may_serve(unit, incident)
        units.change_status(
            db=db, actor=actor, unit=unit, to=UnitStatus.DISPATCHED, allowed_from=ASSIGNABLE
        )
        made.append(_start(db, actor, incident, unit))
    _follow(db, actor, incident)
    return made


def _check_may_serve(unit: Unit, incident: Incident) -> None:
    if unit.agency_id != incident.agency_id and incident.agency_id not in unit.shared_with:
        raise Forbidden(f"unit {unit.callsign} is not shared with the incident's agency")


def _start(db: Session, actor: Actor, incident: Incident, unit: Unit) -> Assignment:
    now = clock.now()
    assignment = Assignment(
        incident_id=incident.id, unit_id=unit.id, assigned_at=now, assigned_by=actor.user_id
    )
    db.add(assignment)
    if unit.agency_id != incident.agency_id:
        incidents.share_with(db=db, incident=incident, agency_id=unit.agency_id)
    incidents.record(
        db=db,
        incident=incident,
        kind=Kind.UNIT_DISPATCHED,
        actor=actor,
        at=now,
        unit_id=unit.id,
        data={"callsign": unit.callsign},
    )
    db.flush()
    emit(
        db,
        events.UnitAssigned(
            **incidents.envelope(actor=actor, incident=incident),
            unit_id=unit.id,
            callsign=unit.callsign,
            incident_number=incident.number,
        ),
    )
    return assignment


def _finish(
    db: Session,
    actor: Actor,
    incident: Incident,
    unit: Unit,
    assignment: Assignment,
    *,
    reason: str,
    at: datetime | None = None,
) -> None:
    assignment.ended_at, assignment.end_reason = at or clock.now(), reason
    kind = Kind.UNIT_CLEARED if reason == "cleared" else Kind.UNIT_CANCELLED
    incidents.record(
        db=db,
        incident=incident,
        kind=kind,
        actor=actor,
        at=assignment.ended_at,
        unit_id=unit.id,
        data={"callsign": unit.callsign},
    )
    emit(
        db,
        events.AssignmentEnded(
            **incidents.envelope(actor=actor, incident=incident),
            unit_id=unit.id,
            callsign=unit.callsign,
            incident_number=incident.number,
            reason=reason,
        ),
    )


def unassign(*, db: Session, actor: Actor, incident_id: int, unit_id: int) -> Unit:
    """Cancel a unit that has not yet arrived; it becomes available on the radio."""
    incident = incidents.get_for_change(db=db, actor=actor, incident_id=incident_id)
    unit = units.get_unit(db=db, actor=actor, unit_id=unit_id)
    assignment = active_assignment(db=db, unit_id=unit.id)
    if assignment is None or assignment.incident_id != incident.id:
        raise Conflict(f"unit {unit.callsign} is not assigned to {incident.number}")
    units.change_status(
        db=db, actor=actor, unit=unit, to=UnitStatus.AVAILABLE_ON_RADIO, allowed_from=REASSIGNABLE
    )
    _finish(db, actor, incident, unit, assignment, reason="cancelled")
    _follow(db, actor, incident)
    return unit


def reassign(*, db: Session, actor: Actor, unit_id: int, incident_id: int) -> Assignment:
    """Move a unit that has not yet arrived from its incident to another one."""
    target = incidents.get_for_change(db=db, actor=actor, incident_id=incident_id)
    incidents.require_open(incident=target)
    unit = units.get_unit(db=db, actor=actor, unit_id=unit_id)
    _check_may_serve(unit, target)
    current = active_assignment(db=db, unit_id=unit.id)
    if current is None:
        raise Conflict(f"unit {unit.callsign} has no assignment; dispatch it instead")
    if current.incident_id == target.id:
        raise Conflict(f"unit {unit.callsign} is already assigned to {target.number}")
    units.change_status(
        db=db, actor=actor, unit=unit, to=UnitStatus.DISPATCHED, allowed_from=REASSIGNABLE
    )
    source = incidents.get(db=db, actor=actor, incident_id=current.incident_id)
    _finish(db, actor, source, unit, current, reason="cancelled")
    _follow(db, actor, source)
    made = _start(db, actor, target, unit)
    _follow(db, actor, target)
    return made


def change_unit_status(
    *,
    db: Session,
    actor: Actor,
    unit_id: int,
    to: UnitStatus,
    at: datetime | None = None,
    source: str = "system",
) -> Unit:
    """A unit reports a new status (terminal, radio or dispatcher); the incident's
    timeline and status follow."""
    unit = units.get_unit(db=db, actor=actor, unit_id=unit_id)
    if actor.agency_id is not None and unit.agency_id != actor.agency_id:
        # A lent unit's status may be set by the agency it is working for, nobody else.
        lent_to = active_assignment(db=db, unit_id=unit.id)
        owner = incidents.owner_of(db=db, incident_id=lent_to.incident_id) if lent_to else None
        if owner != actor.agency_id:
            raise Forbidden(f"unit {unit.callsign} belongs to another agency")
    allowed = sorted(s.value for s in TRANSITIONS[UnitStatus(unit.status)])
    if to == UnitStatus.DISPATCHED:
        raise Conflict(
            "units are dispatched through POST /api/incidents/{id}/units", allowed=allowed
        )
    assignment = active_assignment(db=db, unit_id=unit.id)
    if assignment is None and to not in _FREE | {UnitStatus.OUT_OF_SERVICE}:
        raise Conflict(
            f"unit {unit.callsign} has no incident; it cannot be {to.value}", allowed=allowed
        )
    previous = units.change_status(db=db, actor=actor, unit=unit, to=to, at=at)
    if assignment is not None:
        incident = incidents.get(db=db, actor=actor, incident_id=assignment.incident_id, lock=True)
        if to in _FREE:
            reason = "cleared" if previous in ARRIVED else "cancelled"
            _finish(db, actor, incident, unit, assignment, reason=reason, at=at)
        elif to in _TIMELINE:
            incidents.record(
                db=db,
                incident=incident,
                kind=_TIMELINE[to],
                actor=actor,
                at=at,
                source=source,
                unit_id=unit.id,
                data={"callsign": unit.callsign},
            )
        _follow(db, actor, incident)
    return unit


def _active_units(db: Session, incident: Incident) -> list[Unit]:
    assigned = select(Assignment.unit_id).where(
        Assignment.incident_id == incident.id, Assignment.ended_at.is_(None)
    )
    return units.units_in(db=db, ids=assigned)


class _AssignedUnits:
    """Dispatch's answer to :class:`~signalfire.incidents.responders.Responders`."""

    def assigned(self, *, db: Session, incident: Incident) -> list[Responder]:
        """Units still assigned to ``incident``, by callsign."""
        return [
            Responder(
                unit_id=u.id,
                callsign=u.callsign,
                status=u.status,
                may_stand_down=UnitStatus(u.status) in REASSIGNABLE,
            )
            for u in _active_units(db, incident)
        ]

    def stand_down(self, *, db: Session, actor: Actor, incident: Incident, unit_id: int) -> None:
        """Cancel a unit that has not yet arrived."""
        unassign(db=db, actor=actor, incident_id=incident.id, unit_id=unit_id)


#: The units side of incidents, for closing, cancelling and merging them.
RESPONDERS: Responders = _AssignedUnits()


def _follow(db: Session, actor: Actor, incident: Incident) -> None:
    if incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        return
    active = [UnitStatus(u.status) for u in _active_units(db, incident)]
    if any(s in ARRIVED for s in active) or incident.status == IncidentStatus.ON_SCENE:
        target = IncidentStatus.ON_SCENE
    elif active:
        target = IncidentStatus.DISPATCHED
    elif incident.status == IncidentStatus.DISPATCHED:
        target = IncidentStatus.PENDING
    else:
        return
    incidents.set_status(db=db, actor=actor, incident=incident, to=target)
