"""Incidents: reading, changes, locations, notes, closure. Scoped by agency.

Opening incidents is :mod:`signalfire.incidents.intake`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ScalarSelect, SQLColumnExpression, or_, select
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict, Forbidden, Invalid, NotFound
from signalfire.core.events import emit
from signalfire.geo.grid import cell_of
from signalfire.incidents import catalogue, events
from signalfire.incidents.intervals import Kind
from signalfire.incidents.models import (
    Incident,
    IncidentCaller,
    IncidentLink,
    IncidentLocation,
    IncidentNote,
    IncidentShare,
    TimelineEvent,
)
from signalfire.incidents.schemas import (
    OPEN_STATUSES,
    IncidentRead,
    IncidentStatus,
    IncidentUpdate,
    LocationIn,
    LocationUpdate,
)

# --- locations -------------------------------------------------------------------------


def location_row(
    *, incident_id: int, data: LocationIn, at: datetime, primary: bool
) -> dict[str, Any]:
    """A row of ``incident_locations``."""
    return {
        "incident_id": incident_id,
        "lat": data.lat,
        "lon": data.lon,
        "address": data.address,
        "source": data.source,
        "accuracy_m": data.accuracy_m,
        "reported_at": at,
        "is_primary": primary,
    }


def _add_location(
    db: Session, incident: Incident, data: LocationIn, at: datetime, *, primary: bool
) -> IncidentLocation:
    location = IncidentLocation(
        **location_row(incident_id=incident.id, data=data, at=at, primary=primary)
    )
    db.add(location)
    if primary:
        _set_primary(incident, data)
    return location


def primary_columns(*, data: LocationIn) -> dict[str, Any]:
    """The columns of ``incidents`` that hold its primary location, with the grid cell
    the duplicate check finds it under (none without coordinates)."""
    lat, lon = data.lat, data.lon
    return {
        "lat": lat,
        "lon": lon,
        "cell": None if lat is None or lon is None else cell_of(lat, lon),
        "address": data.address,
        "location_source": data.source,
        "location_accuracy_m": data.accuracy_m,
    }


def _set_primary(incident: Incident, data: LocationIn) -> None:
    for column, value in primary_columns(data=data).items():
        setattr(incident, column, value)


# --- reading ---------------------------------------------------------------------------


def can_see(*, actor: Actor, incident: Incident) -> bool:
    """Own agency's incident, or one shared with the caller's agency."""
    return (
        actor.agency_id is None
        or incident.agency_id == actor.agency_id
        or actor.agency_id in incident.shared_with
    )


def get(*, db: Session, actor: Actor, incident_id: int, lock: bool = False) -> Incident:
    """An incident the caller may see; others look as if they did not exist.

    ``lock`` takes the row for the rest of the transaction (PostgreSQL ``FOR UPDATE``),
    so concurrent changes to one incident queue instead of overwriting each other.
    """
    incident = db.get(Incident, incident_id, with_for_update=lock or None)
    if incident is None or not can_see(actor=actor, incident=incident):
        raise NotFound(f"no incident with id {incident_id}")
    return incident


def get_for_change(*, db: Session, actor: Actor, incident_id: int) -> Incident:
    """An incident the caller's agency owns: agencies it is shared with (mutual aid)
    see it and add notes, but only the owner changes or closes it."""
    incident = get(db=db, actor=actor, incident_id=incident_id, lock=True)
    if actor.agency_id is not None and incident.agency_id != actor.agency_id:
        raise Forbidden(
            f"incident {incident.number} belongs to another agency; only it may change the incident"
        )
    return incident


def owner_of(*, db: Session, incident_id: int) -> int | None:
    """The agency that owns the incident (``None`` if there is none), for another
    domain's permission check. No visibility check."""
    incident = db.get(Incident, incident_id)
    return incident.agency_id if incident else None


def number_of(*, incident_id: SQLColumnExpression[int]) -> ScalarSelect[str]:
    """The number of the incident ``incident_id`` (a column of another domain's query),
    as a subquery, so the caller reads numbers in its own query."""
    return select(Incident.number).where(Incident.id == incident_id).scalar_subquery()


def list_incidents(
    *, db: Session, actor: Actor, open_only: bool = True, limit: int = 500
) -> list[Incident]:
    """Incidents the caller may see, most urgent and oldest first."""
    query = select(Incident)
    if actor.agency_id is not None:
        shared = select(IncidentShare.incident_id).where(IncidentShare.agency_id == actor.agency_id)
        query = query.where(or_(Incident.agency_id == actor.agency_id, Incident.id.in_(shared)))
    if open_only:
        query = query.where(Incident.status.in_([s.value for s in OPEN_STATUSES]))
    query = query.order_by(Incident.priority, Incident.created_at).limit(limit)
    return list(db.scalars(query))


def caller(*, db: Session, actor: Actor, incident_id: int) -> IncidentCaller | None:
    """Who called about the incident; the read is audited."""
    incident = get(db=db, actor=actor, incident_id=incident_id)
    row = db.scalar(select(IncidentCaller).where(IncidentCaller.incident_id == incident.id))
    emit(
        db,
        events.CallerDetailsRead(
            actor=actor.ref(),
            agency_id=incident.agency_id,
            record_type="incident",
            record_id=str(incident.id),
            purpose="dispatch",
            case_number=incident.number,
        ),
    )
    return row


def locations(*, db: Session, actor: Actor, incident_id: int) -> list[IncidentLocation]:
    """Every location reported for the incident, oldest first."""
    incident = get(db=db, actor=actor, incident_id=incident_id)
    query = select(IncidentLocation).where(IncidentLocation.incident_id == incident.id)
    return list(db.scalars(query.order_by(IncidentLocation.id)))


def timeline(
    *, db: Session, actor: Actor, incident_id: int, include_linked: bool = False
) -> list[TimelineEvent]:
    """The incident's timeline (and that of incidents merged into it), in time order."""
    incident = get(db=db, actor=actor, incident_id=incident_id)
    ids = [incident.id]
    if include_linked:
        linked = db.scalars(
            select(Incident)
            .join(IncidentLink, IncidentLink.other_id == Incident.id)
            .where(IncidentLink.incident_id == incident.id)
        )
        # Only linked incidents the caller may see (a link can cross agencies).
        ids += [other.id for other in linked if can_see(actor=actor, incident=other)]
    query = select(TimelineEvent).where(TimelineEvent.incident_id.in_(ids))
    return list(db.scalars(query.order_by(TimelineEvent.at, TimelineEvent.id)))


def notes(*, db: Session, actor: Actor, incident_id: int) -> list[IncidentNote]:
    incident = get(db=db, actor=actor, incident_id=incident_id)
    query = select(IncidentNote).where(IncidentNote.incident_id == incident.id)
    return list(db.scalars(query.order_by(IncidentNote.at, IncidentNote.id)))


# --- changes ---------------------------------------------------------------------------


def update(*, db: Session, actor: Actor, incident_id: int, data: IncidentUpdate) -> Incident:
    """Change nature, modifiers, priority or summary of an open incident."""
    incident = require_open(incident=get_for_change(db=db, actor=actor, incident_id=incident_id))
    if data.version is not None and data.version != incident.version:
        raise Conflict(
            f"incident {incident.number} changed since version {data.version}; "
            f"it is at version {incident.version}"
        )
    known = catalogue.natures_for(db=db, agency_id=incident.agency_id)
    # A priority set by hand stays until the nature or the modifiers change.
    recompute = False
    if data.nature_code is not None and data.nature_code != incident.nature_code:
        nature = catalogue.nature_in(known, data.nature_code)
        record(
            db=db,
            incident=incident,
            kind=Kind.NATURE_CHANGED,
            actor=actor,
            data={"from": incident.nature_code, "to": nature.code},
        )
        incident.nature_code = nature.code
        recompute = True
    if data.modifiers is not None and sorted(set(data.modifiers)) != incident.modifiers:
        incident.modifiers = sorted(set(data.modifiers))
        recompute = True
    if data.summary is not None:
        incident.summary = data.summary
    if data.status is not None and incident.status == IncidentStatus.NEW.value:
        set_status(db=db, actor=actor, incident=incident, to=IncidentStatus.PENDING)
    nature = catalogue.nature_in(known, incident.nature_code)
    computed = catalogue.priority_of(nature, incident.modifiers)  # also refuses unknown modifiers
    if data.priority is not None:
        priority = data.priority
    else:
        priority = computed if recompute else incident.priority
    if priority != incident.priority:
        record(
            db=db,
            incident=incident,
            kind=Kind.PRIORITY_CHANGED,
            actor=actor,
            data={"from": incident.priority, "to": priority},
        )
        incident.priority = priority
    changed(db=db, actor=actor, incident=incident, change="updated")
    return incident


def set_location(
    *, db: Session, actor: Actor, incident_id: int, data: LocationUpdate
) -> IncidentLocation:
    """Add a reported location. A caller's device location stays primary unless the
    change says ``make_primary`` explicitly: it is never silently overwritten."""
    incident = require_open(incident=get_for_change(db=db, actor=actor, incident_id=incident_id))
    keeps_device = incident.location_source == "caller_device" and data.source != "caller_device"
    primary = data.make_primary or not keeps_device
    now = clock.now()
    if primary:
        for old in db.scalars(
            select(IncidentLocation).where(
                IncidentLocation.incident_id == incident.id, IncidentLocation.is_primary
            )
        ):
            old.is_primary = False
    location = _add_location(db, incident, data, now, primary=primary)
    record(
        db=db,
        incident=incident,
        kind=Kind.LOCATION_CHANGED,
        actor=actor,
        at=now,
        data={
            "source": data.source,
            "primary": primary,
            "lat": data.lat,
            "lon": data.lon,
            "address": data.address,
        },
    )
    changed(db=db, actor=actor, incident=incident, change="location")
    return location


def add_note(*, db: Session, actor: Actor, incident_id: int, text: str) -> IncidentNote:
    incident = get(db=db, actor=actor, incident_id=incident_id)
    note = IncidentNote(
        incident_id=incident.id,
        author_user_id=actor.user_id,
        author=actor.username,
        text=text,
        at=clock.now(),
    )
    db.add(note)
    db.flush()
    record(
        db=db,
        incident=incident,
        kind=Kind.NOTE_ADDED,
        actor=actor,
        at=note.at,
        data={"note_id": note.id},
    )
    emit(db, events.NoteAdded(**envelope(actor=actor, incident=incident), note_id=note.id))
    return note


def set_status(*, db: Session, actor: Actor, incident: Incident, to: IncidentStatus) -> None:
    """Move an open incident's status (dispatch calls this as units move)."""
    if incident.status == to.value:
        return
    record(
        db=db,
        incident=incident,
        kind=Kind.STATUS_CHANGED,
        actor=actor,
        data={"from": incident.status, "to": to.value},
    )
    incident.status = to.value
    changed(db=db, actor=actor, incident=incident, change=f"status:{to.value}")


def end(
    *, db: Session, actor: Actor, incident: Incident, status: IncidentStatus, disposition: str
) -> Incident:
    """Close or cancel an open incident with a disposition (units must be clear)."""
    require_open(incident=incident)
    now = clock.now()
    kind = Kind.CLOSED if status == IncidentStatus.CLOSED else Kind.CANCELLED
    record(
        db=db, incident=incident, kind=kind, actor=actor, at=now, data={"disposition": disposition}
    )
    incident.status, incident.disposition, incident.closed_at = status.value, disposition, now
    changed(db=db, actor=actor, incident=incident, change=kind.value)
    return incident


def share_with(*, db: Session, incident: Incident, agency_id: int) -> None:
    """Let another agency see the incident (its unit was sent on mutual aid)."""
    if agency_id != incident.agency_id and agency_id not in incident.shared_with:
        incident.shares.append(IncidentShare(agency_id=agency_id))
        db.flush()


def record(
    *,
    db: Session,
    incident: Incident,
    kind: Kind,
    actor: Actor,
    at: datetime | None = None,
    source: str = "system",
    unit_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    """Put one step on the incident's timeline."""
    event = TimelineEvent(
        incident_id=incident.id,
        kind=kind.value,
        at=at or clock.now(),
        source=source,
        unit_id=unit_id,
        actor_user_id=actor.user_id,
        data=data or {},
    )
    db.add(event)
    return event


def changed(*, db: Session, actor: Actor, incident: Incident, change: str) -> None:
    """Bump the version and announce the incident's new state."""
    incident.version += 1
    announce(db=db, actor=actor, incident=incident, change=change)


def envelope(*, actor: Actor, incident: Incident) -> dict[str, Any]:
    """The fields every event about ``incident`` carries: who, whose, who else sees it."""
    return {
        "actor": actor.ref(),
        "agency_id": incident.agency_id,
        "audience": incident.shared_with,
        "record_type": "incident",
        "record_id": str(incident.id),
        "case_number": incident.number,
    }


def announce(*, db: Session, actor: Actor, incident: Incident, change: str) -> dict[str, Any]:
    """Publish the incident's current state (after the transaction commits); returns
    that state (``IncidentRead``, JSON-ready)."""
    db.flush()
    state = IncidentRead.model_validate(incident)
    emit(
        db,
        events.IncidentChanged(
            **envelope(actor=actor, incident=incident), incident=state, change=change
        ),
    )
    return state.model_dump(mode="json")


def require_open(*, incident: Incident) -> Incident:
    """``incident``, if it is still open (not closed or cancelled); a 409 otherwise."""
    if incident.status not in {s.value for s in OPEN_STATUSES}:
        raise Conflict(f"incident {incident.number} is {incident.status}")
    return incident


def agency_of(*, actor: Actor) -> int:
    """The caller's agency, which new incidents belong to."""
    if actor.agency_id is None:
        raise Invalid("incidents belong to an agency; act through an agency account")
    return actor.agency_id
