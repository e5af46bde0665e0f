"""HTTP routes for stations, units and AVL positions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from signalfire.api.permissions import requires
from signalfire.api.session import DbSession
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm
from signalfire.core.schemas import Timestamp
from signalfire.units import positions, service
from signalfire.units.models import Station, Unit, UnitPosition
from signalfire.units.schemas import (
    PositionBatch,
    PositionRead,
    PositionReport,
    PositionResult,
    StationCreate,
    StationRead,
    UnitCreate,
    UnitRead,
    UnitUpdate,
)
from signalfire.units.status import UnitStatus

router = APIRouter(prefix="/api", tags=["units"])
Reader = Annotated[Actor, requires(Perm.UNIT_READ)]
Manager = Annotated[Actor, requires(Perm.UNIT_MANAGE)]


@router.get("/stations", response_model=list[StationRead])
def list_stations(db: DbSession, actor: Reader) -> list[Station]:
    """Stations of the caller's agency."""
    return service.list_stations(db=db, actor=actor)


@router.post("/stations", response_model=StationRead, status_code=201)
def create_station(data: StationCreate, db: DbSession, actor: Manager) -> Station:
    """Register a station."""
    return service.create_station(db=db, actor=actor, data=data)


@router.get("/units", response_model=list[UnitRead])
def list_units(
    db: DbSession,
    actor: Reader,
    status: Annotated[list[UnitStatus] | None, Query(description="Only these statuses.")] = None,
) -> list[Unit]:
    """Units of the caller's agency and those shared with it (mutual aid)."""
    return service.list_units(db=db, actor=actor, statuses=status or [])


@router.post("/units", response_model=UnitRead, status_code=201)
def create_unit(data: UnitCreate, db: DbSession, actor: Manager) -> Unit:
    """Register a unit; it starts available at its station."""
    return service.create_unit(db=db, actor=actor, data=data)


@router.get("/units/{unit_id}", response_model=UnitRead)
def get_unit(unit_id: int, db: DbSession, actor: Reader) -> Unit:
    """One unit with its status and latest position."""
    return service.get_unit(db=db, actor=actor, unit_id=unit_id)


@router.patch("/units/{unit_id}", response_model=UnitRead)
def update_unit(unit_id: int, data: UnitUpdate, db: DbSession, actor: Manager) -> Unit:
    """Change capabilities, station, crew or mutual-aid sharing."""
    return service.update_unit(db=db, actor=actor, unit_id=unit_id, data=data)


@router.get("/units/{unit_id}/positions", response_model=list[PositionRead])
def unit_track(
    unit_id: int,
    db: DbSession,
    actor: Reader,
    since: Annotated[Timestamp | None, Query(description="From this time on.")] = None,
    until: Annotated[Timestamp | None, Query(description="Up to this time.")] = None,
    limit: Annotated[
        int, Query(ge=1, le=10_000, description="At most this many, the newest.")
    ] = 1000,
) -> list[UnitPosition]:
    """The unit's stored positions in time order: its trail on the map."""
    return positions.track(
        db=db, actor=actor, unit_id=unit_id, since=since, until=until, limit=limit
    )


@router.post("/positions", response_model=PositionResult)
def report_positions(
    data: PositionBatch | PositionReport,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.POSITION_REPORT)],
) -> PositionResult:
    """AVL: one position or a batch (``{"positions": [...]}``), all or nothing.

    Duplicates (same unit and time) are ignored; late reports go to history only.
    """
    reports = data.positions if isinstance(data, PositionBatch) else [data]
    return positions.ingest(db=db, actor=actor, reports=reports)
