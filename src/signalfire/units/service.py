"""Stations and units: register them, see them, change their status."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict, Forbidden, Invalid, NotFound
from signalfire.core.events import emit
from signalfire.units import events, status
from signalfire.units.models import Station, Unit
from signalfire.units.schemas import StationCreate, UnitCreate, UnitRead, UnitUpdate
from signalfire.units.status import UnitStatus


def create_station(*, db: Session, actor: Actor, data: StationCreate) -> Station:
    """Register a station of the caller's agency."""
    agency_id = _own_agency(actor)
    if db.scalar(
        select(Station.id).where(Station.agency_id == agency_id, Station.code == data.code)
    ):
        raise Conflict(f"station code {data.code!r} is already used", field="code")
    station = Station(agency_id=agency_id, **data.model_dump())
    db.add(station)
    db.flush()
    emit(
        db,
        events.StationCreated(
            actor=actor.ref(),
            agency_id=agency_id,
            record_type="station",
            record_id=str(station.id),
            code=station.code,
        ),
    )
    return station


def list_stations(*, db: Session, actor: Actor) -> list[Station]:
    """Stations of the caller's agency."""
    query = select(Station).order_by(Station.code)
    if actor.agency_id is not None:
        query = query.where(Station.agency_id == actor.agency_id)
    return list(db.scalars(query))


def create_unit(*, db: Session, actor: Actor, data: UnitCreate) -> Unit:
    """Register a unit of the caller's agency; it starts available in quarters."""
    agency_id = _own_agency(actor)
    if db.scalar(
        select(Unit.id).where(Unit.agency_id == agency_id, Unit.callsign == data.callsign)
    ):
        raise Conflict(f"callsign {data.callsign!r} is already used", field="callsign")
    station = _station(db, agency_id, data.home_station_id)
    unit = Unit(
        agency_id=agency_id,
        callsign=data.callsign,
        unit_type=data.unit_type.value,
        capabilities=sorted(set(data.capabilities)),
        home_station_id=station.id if station else None,
        crew=data.crew,
        shared_with=sorted(set(data.shared_with) - {agency_id}),
        status=UnitStatus.AVAILABLE.value,
        status_at=clock.now(),
        lat=station.lat if station else None,
        lon=station.lon if station else None,
        version=1,
    )
    db.add(unit)
    db.flush()
    _changed(db, actor, unit, "created")
    return unit


def update_unit(*, db: Session, actor: Actor, unit_id: int, data: UnitUpdate) -> Unit:
    """Change a unit's capabilities, station, crew or sharing."""
    unit = get_unit(db=db, actor=actor, unit_id=unit_id)
    if unit.agency_id != actor.agency_id and actor.agency_id is not None:
        raise Forbidden(f"unit {unit.callsign} belongs to another agency")
    if data.capabilities is not None:
        unit.capabilities = sorted(set(data.capabilities))
    if "home_station_id" in data.model_fields_set:
        station = _station(db, unit.agency_id, data.home_station_id)
        unit.home_station_id = station.id if station else None
    if data.crew is not None:
        unit.crew = data.crew
    if data.shared_with is not None:
        unit.shared_with = sorted(set(data.shared_with) - {unit.agency_id})
    unit.version += 1
    db.flush()
    _changed(db, actor, unit, "updated")
    return unit


def list_units(*, db: Session, actor: Actor, statuses: Iterable[UnitStatus] = ()) -> list[Unit]:
    """Units the caller may see and dispatch: their agency's and those shared with it."""
    query = select(Unit).order_by(Unit.callsign)
    wanted = [s.value for s in statuses]
    if wanted:
        query = query.where(Unit.status.in_(wanted))
    units = db.scalars(query).all()
    return [u for u in units if can_see(actor, u)]


def units_in(*, db: Session, ids: Select[int] | Collection[int]) -> list[Unit]:
    """The units with the given ids (a list, or another domain's query of unit ids, so
    the caller reads them in one query), by callsign. No visibility check."""
    return list(db.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.callsign)))


def can_see(actor: Actor, unit: Unit) -> bool:
    """Own agency's unit, or one shared with the caller's agency."""
    return (
        actor.agency_id is None
        or unit.agency_id == actor.agency_id
        or (actor.agency_id in unit.shared_with)
    )


def get_unit(*, db: Session, actor: Actor, unit_id: int) -> Unit:
    """A unit the caller may see."""
    unit = db.get(Unit, unit_id)
    if unit is None or not can_see(actor, unit):
        raise NotFound(f"no unit with id {unit_id}")
    return unit


def change_status(
    *,
    db: Session,
    actor: Actor,
    unit: Unit,
    to: UnitStatus,
    at: datetime | None = None,
    allowed_from: frozenset[UnitStatus] | None = None,
) -> UnitStatus:
    """Move ``unit`` to ``to``; returns the previous status.

    The status machine decides what is allowed, unless the caller (dispatch) names the
    statuses it accepts in ``allowed_from``.

    The update is conditional on the status read, so of two dispatchers changing one
    unit at the same moment exactly one succeeds; the other gets a 409.
    """
    current = UnitStatus(unit.status)
    if allowed_from is None:
        try:
            status.check(current, to)
        except status.IllegalTransition as exc:
            raise Conflict(str(exc), allowed=[s.value for s in exc.allowed]) from exc
    elif current not in allowed_from:
        raise Conflict(
            f"unit {unit.callsign} is {current.value}; it must be one of "
            f"{', '.join(sorted(s.value for s in allowed_from))}",
            allowed=sorted(s.value for s in status.TRANSITIONS[current]),
        )
    when = at or clock.now()
    result = db.execute(
        update(Unit)
        .where(Unit.id == unit.id, Unit.status == current.value, Unit.version == unit.version)
        .values(status=to.value, status_at=when, version=Unit.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"unit {unit.callsign} was changed by someone else; reload and retry")
    db.refresh(unit)
    _changed(db, actor, unit, f"status:{to.value}")
    return current


def _changed(db: Session, actor: Actor, unit: Unit, change: str) -> None:
    emit(
        db,
        events.UnitChanged(
            actor=actor.ref(),
            agency_id=unit.agency_id,
            audience=unit.shared_with,
            record_type="unit",
            record_id=str(unit.id),
            unit=UnitRead.model_validate(unit),
            change=change,
        ),
    )


def _own_agency(actor: Actor) -> int:
    if actor.agency_id is None:
        raise Invalid("the operator must act through an agency's account here")
    return actor.agency_id


def _station(db: Session, agency_id: int, station_id: int | None) -> Station | None:
    if station_id is None:
        return None
    station = db.get(Station, station_id)
    if station is None or station.agency_id != agency_id:
        raise Invalid(f"no station with id {station_id} in this agency", field="home_station_id")
    return station
