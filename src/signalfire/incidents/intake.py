"""Intake: opening incidents from calls, alarms, camera alerts and API clients.

Intake is the hot path of the system: a storm or a major fire brings hundreds of calls
in minutes. :func:`create_many` opens a group of incidents with one statement per table
(the group commit of the API hands it the calls that arrived together); :func:`create`
opens one. The rows are written with prepared Core statements rather than through the
unit of work, and each incident is then attached to the session as if loaded, for the
caller to read or change like any other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert
from sqlalchemy import update as update_rows
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import DomainError
from signalfire.incidents import catalogue, duplicates
from signalfire.incidents.intervals import Kind
from signalfire.incidents.models import (
    Incident,
    IncidentCaller,
    IncidentCounter,
    IncidentLocation,
    TimelineEvent,
)
from signalfire.incidents.natures import Nature
from signalfire.incidents.schemas import IncidentCreate, IncidentStatus
from signalfire.incidents.service import agency_of, announce, location_row, primary_columns


@dataclass(frozen=True, slots=True)
class Opened:
    """A new incident, the open incidents it may duplicate (best first), and its state as
    announced (``IncidentRead``, JSON-ready: the API answers with it as it is)."""

    incident: Incident
    candidates: list[duplicates.Candidate]
    state: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Intake:
    """One call (or alarm, or alert) to open an incident for, and who took it."""

    actor: Actor
    data: IncidentCreate


@dataclass(frozen=True, slots=True)
class _Accepted:
    intake: Intake
    agency_id: int
    nature: Nature
    priority: int
    natures: dict[str, Nature]


def create(*, db: Session, actor: Actor, data: IncidentCreate) -> Opened:
    """Open an incident; returns it and the open incidents it may duplicate, best first."""
    (outcome,) = create_many(db=db, intakes=[Intake(actor, data)])
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def create_many(*, db: Session, intakes: list[Intake]) -> list[Opened | DomainError]:
    """Open an incident for each intake, in order; an invalid one gets its error in its
    place and writes nothing.

    Each incident's duplicate check sees the incidents opened before it, in this group
    too: two calls about one fire that arrive together find each other.
    """
    db.flush()  # the statements below bypass the session: let them see its changes
    outcomes: list[Opened | DomainError | None] = [None] * len(intakes)
    accepted: list[tuple[int, _Accepted]] = []
    catalogues: dict[int, dict[str, Nature]] = {}
    for index, intake in enumerate(intakes):
        try:
            accepted.append((index, _accept(db, intake, catalogues)))
        except DomainError as exc:
            outcomes[index] = exc
    if accepted:
        opened = _open(db, [item for _index, item in accepted])
        for (index, _item), outcome in zip(accepted, opened, strict=True):
            outcomes[index] = outcome
    return [outcome for outcome in outcomes if outcome is not None]


def _accept(db: Session, intake: Intake, catalogues: dict[int, dict[str, Nature]]) -> _Accepted:
    agency_id = agency_of(actor=intake.actor)
    if agency_id not in catalogues:
        catalogues[agency_id] = catalogue.natures_for(db=db, agency_id=agency_id)
    natures = catalogues[agency_id]
    nature = catalogue.nature_in(natures, intake.data.nature_code)
    priority = catalogue.priority_of(nature, intake.data.modifiers)
    return _Accepted(intake, agency_id, nature, priority, natures)


def _open(db: Session, accepted: list[_Accepted]) -> list[Opened]:
    now = clock.now()
    connection = db.connection()
    numbers = _next_numbers(connection, [item.agency_id for item in accepted], now)
    rows = [
        _incident_row(item, number, now) for item, number in zip(accepted, numbers, strict=True)
    ]
    ids: list[int] = list(connection.execute(_INSERT_INCIDENT, rows).scalars())
    locations, callers, steps = [], [], []
    for incident_id, item in zip(ids, accepted, strict=True):
        data = item.intake.data
        locations.append(
            location_row(incident_id=incident_id, data=data.location, at=now, primary=True)
        )
        if data.caller and (data.caller.name or data.caller.number):
            caller = {"name": data.caller.name, "number": data.caller.number, "received_at": now}
            callers.append({"incident_id": incident_id} | caller)
        steps += _first_steps(incident_id, item, now)
    connection.execute(_INSERT_LOCATION, locations)
    if callers:
        connection.execute(_INSERT_CALLER, callers)
    connection.execute(_INSERT_TIMELINE, steps)
    opened = []
    for incident_id, item, row in zip(ids, accepted, rows, strict=True):
        incident = Incident(id=incident_id, **row)
        set_committed_value(incident, "shares", [])  # new: no other agency sees it yet
        make_transient_to_detached(incident)
        db.add(incident)
        data = item.intake.data
        report = duplicates.Report(
            data.location.lat,
            data.location.lon,
            now,
            item.nature,
            data.caller.number if data.caller else None,
        )
        candidates = duplicates.find(
            db=db,
            new=report,
            agency_id=item.agency_id,
            natures=item.natures,
            before_id=incident_id,  # not itself, nor those opened after it in this group
        )
        state = announce(db=db, actor=item.intake.actor, incident=incident, change="created")
        opened.append(Opened(incident, candidates, state))
    return opened


def _incident_row(item: _Accepted, number: str, now: datetime) -> dict[str, Any]:
    data, location = item.intake.data, item.intake.data.location
    return {
        "agency_id": item.agency_id,
        "number": number,
        "status": IncidentStatus.NEW.value,
        "nature_code": item.nature.code,
        "priority": item.priority,
        "modifiers": sorted(set(data.modifiers)),
        "source": data.source,
        "summary": data.summary,
        **primary_columns(data=location),
        "disposition": None,
        "created_at": now,
        "closed_at": None,
        "version": 1,
    }


def _first_steps(incident_id: int, item: _Accepted, now: datetime) -> list[dict[str, Any]]:
    """The timeline's first events: call received and answered (when telephony says),
    incident entered."""
    data = item.intake.data
    entered = {"nature": item.nature.code, "priority": item.priority}
    steps = [
        (Kind.CALL_RECEIVED, data.call_received_at, data.time_source, {}),
        (Kind.CALL_ANSWERED, data.call_answered_at, data.time_source, {}),
        (Kind.INCIDENT_ENTERED, now, "system", entered),
    ]
    return [
        {
            "incident_id": incident_id,
            "kind": kind.value,
            "at": at,
            "source": source,
            "unit_id": None,
            "actor_user_id": item.intake.actor.user_id,
            "data": step_data,
        }
        for kind, at, source, step_data in steps
        if at is not None
    ]


_INSERT_INCIDENT = insert(Incident).returning(Incident.id, sort_by_parameter_order=True)
_INSERT_LOCATION = insert(IncidentLocation)
_INSERT_CALLER = insert(IncidentCaller)
_INSERT_TIMELINE = insert(TimelineEvent)
_TAKE_NUMBERS = (
    update_rows(IncidentCounter)
    .where(
        IncidentCounter.agency_id == bindparam("counter_agency"),
        IncidentCounter.year == bindparam("counter_year"),
    )
    .values(last=IncidentCounter.last + bindparam("count"))
    .returning(IncidentCounter.last)
)


def _next_numbers(connection: Connection, agency_ids: list[int], now: datetime) -> list[str]:
    """``YYYY-NNNNNN`` for each of ``agency_ids``, consecutive per agency and year, safe
    under concurrency: the counter row's update holds its lock (PostgreSQL) until the
    transaction ends.
    """
    last_of: dict[int, int] = {}
    for agency_id, count in Counter(agency_ids).items():
        key = {"counter_agency": agency_id, "counter_year": now.year, "count": count}
        last = connection.execute(_TAKE_NUMBERS, key).scalar()
        if last is None:  # the agency's first incident this year
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            first = {"agency_id": agency_id, "year": now.year, "last": 0}
            connection.execute(
                dialect.insert(IncidentCounter).values(first).on_conflict_do_nothing()
            )
            last = connection.execute(_TAKE_NUMBERS, key).scalar_one()
        last_of[agency_id] = last - count  # the last number used before this group
    numbers = []
    for agency_id in agency_ids:
        last_of[agency_id] += 1
        numbers.append(f"{now.year}-{last_of[agency_id]:06d}")
    return numbers
