"""Which open incidents a call, or an incident, may duplicate (scoped to what the
caller may see); the matching itself is :mod:`signalfire.incidents.duplicates`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.incidents import catalogue, duplicates, service
from signalfire.incidents.models import IncidentCaller, IncidentShare
from signalfire.incidents.schemas import DuplicateQuery


def possible_duplicates(
    *, db: Session, actor: Actor, incident_id: int
) -> list[duplicates.Candidate]:
    """Open incidents of the same agency that may report the same thing."""
    incident = service.get(db=db, actor=actor, incident_id=incident_id)
    known = catalogue.natures_for(db=db, agency_id=incident.agency_id)
    number = db.scalar(
        select(IncidentCaller.number).where(IncidentCaller.incident_id == incident.id)
    )
    report = duplicates.Report(
        incident.lat,
        incident.lon,
        incident.created_at,
        catalogue.nature_in(known, incident.nature_code),
        number,
    )
    found = duplicates.find(
        db=db, new=report, agency_id=incident.agency_id, natures=known, exclude_id=incident.id
    )
    if actor.agency_id is None or actor.agency_id == incident.agency_id:
        return found
    # A helping agency sees the shared incident, not its owner's other incidents.
    shared = set(
        db.scalars(
            select(IncidentShare.incident_id).where(
                IncidentShare.agency_id == actor.agency_id,
                IncidentShare.incident_id.in_([c.incident_id for c in found]),
            )
        )
    )
    return [c for c in found if c.incident_id in shared]


def duplicates_of_call(
    *, db: Session, actor: Actor, data: DuplicateQuery
) -> list[duplicates.Candidate]:
    """Open incidents a call being taken may duplicate, before it is saved."""
    agency_id = service.agency_of(actor=actor)
    known = catalogue.natures_for(db=db, agency_id=agency_id)
    report = duplicates.Report(
        data.lat,
        data.lon,
        clock.now(),
        catalogue.nature_in(known, data.nature_code),
        data.caller_number,
    )
    return duplicates.find(db=db, new=report, agency_id=agency_id, natures=known)
