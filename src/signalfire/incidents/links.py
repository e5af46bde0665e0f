"""Links between incidents; a ``duplicate`` link merges one into the other."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict, Forbidden, Invalid
from signalfire.core.events import emit
from signalfire.incidents import events
from signalfire.incidents.closing import callsigns
from signalfire.incidents.intervals import Kind
from signalfire.incidents.models import IncidentLink
from signalfire.incidents.responders import Responders
from signalfire.incidents.schemas import IncidentStatus, LinkCreate
from signalfire.incidents.service import end, envelope, get, get_for_change, record


def link(
    *, db: Session, actor: Actor, incident_id: int, data: LinkCreate, responders: Responders
) -> IncidentLink:
    """Link two incidents. ``duplicate`` also cancels the other as merged into this one,
    so only the other's own agency may do it, and only once no unit is still assigned
    to it."""
    if data.kind == "duplicate":
        _check_may_merge(db=db, actor=actor, other_id=data.other_id, responders=responders)
    incident = get_for_change(db=db, actor=actor, incident_id=incident_id)
    other = get(db=db, actor=actor, incident_id=data.other_id)
    if other.id == incident.id:
        raise Invalid("an incident cannot be linked to itself", field="other_id")
    if db.scalar(
        select(IncidentLink.id).where(
            IncidentLink.incident_id == incident.id, IncidentLink.other_id == other.id
        )
    ):
        raise Conflict(f"{incident.number} is already linked to {other.number}")
    now = clock.now()
    row = IncidentLink(incident_id=incident.id, other_id=other.id, kind=data.kind, created_at=now)
    db.add(row)
    db.add(
        IncidentLink(
            incident_id=other.id,
            other_id=incident.id,
            kind="merged_into" if data.kind == "duplicate" else data.kind,
            created_at=now,
        )
    )
    record(
        db=db,
        incident=incident,
        kind=Kind.LINKED,
        actor=actor,
        at=now,
        data={"other": other.number, "kind": data.kind},
    )
    record(
        db=db,
        incident=other,
        kind=Kind.LINKED,
        actor=actor,
        at=now,
        data={"other": incident.number, "kind": data.kind},
    )
    emit(
        db,
        events.IncidentsLinked(
            **envelope(actor=actor, incident=incident), other_id=other.id, kind=data.kind
        ),
    )
    if data.kind == "duplicate":
        end(
            db=db,
            actor=actor,
            incident=other,
            status=IncidentStatus.CANCELLED,
            disposition="duplicate",
        )
    db.flush()
    return row


def _check_may_merge(*, db: Session, actor: Actor, other_id: int, responders: Responders) -> None:
    other = get(db=db, actor=actor, incident_id=other_id)
    if actor.agency_id is not None and other.agency_id != actor.agency_id:
        raise Forbidden(f"only the agency that owns {other.number} may merge it")
    busy = responders.assigned(db=db, incident=other)
    if busy:
        raise Conflict(
            f"{other.number} still has units assigned ({callsigns(busy)}); reassign or "
            "cancel them first",
            units=[r.unit_id for r in busy],
        )


def links_of(*, db: Session, actor: Actor, incident_id: int) -> list[IncidentLink]:
    """The incident's links (each is stored from both sides), oldest first."""
    get(db=db, actor=actor, incident_id=incident_id)  # visible to the caller, or 404
    query = select(IncidentLink).where(IncidentLink.incident_id == incident_id)
    return list(db.scalars(query.order_by(IncidentLink.id)))
