"""Closing and cancelling incidents: the incidents domain owns both; the units still
assigned come from :class:`~signalfire.incidents.responders.Responders` (dispatch)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict
from signalfire.incidents import service
from signalfire.incidents.models import Incident
from signalfire.incidents.responders import Responder, Responders
from signalfire.incidents.schemas import IncidentStatus


def close(
    *, db: Session, actor: Actor, incident_id: int, disposition: str, responders: Responders
) -> Incident:
    """Close an incident whose units have all cleared."""
    incident = service.get_for_change(db=db, actor=actor, incident_id=incident_id)
    busy = responders.assigned(db=db, incident=incident)
    if busy:
        raise Conflict(
            f"units still assigned: {callsigns(busy)}; clear them first",
            units=[r.unit_id for r in busy],
        )
    return service.end(
        db=db, actor=actor, incident=incident, status=IncidentStatus.CLOSED, disposition=disposition
    )


def cancel(
    *, db: Session, actor: Actor, incident_id: int, disposition: str, responders: Responders
) -> Incident:
    """Cancel an incident; units still on their way are cancelled with it."""
    incident = service.get_for_change(db=db, actor=actor, incident_id=incident_id)
    service.require_open(incident=incident)
    for unit in responders.assigned(db=db, incident=incident):
        if not unit.may_stand_down:
            raise Conflict(f"unit {unit.callsign} is {unit.status}; close the incident instead")
        responders.stand_down(db=db, actor=actor, incident=incident, unit_id=unit.unit_id)
    return service.end(
        db=db,
        actor=actor,
        incident=incident,
        status=IncidentStatus.CANCELLED,
        disposition=disposition,
    )


def callsigns(units: list[Responder]) -> str:
    """The units' callsigns for a message: ``E1, M2``."""
    return ", ".join(r.callsign for r in units)
