"""AVL: accept unit positions, keep the latest on the unit, history for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.db import Base
from signalfire.core.errors import Invalid
from signalfire.core.events import emit
from signalfire.units import events
from signalfire.units import service as unit_service
from signalfire.units.models import Unit, UnitPosition
from signalfire.units.schemas import PositionReport, PositionResult


def _insert_ignoring_duplicates(db: Session) -> postgresql.Insert | sqlite.Insert:
    keys = ["unit_id", "at"]
    if db.get_bind().dialect.name == "postgresql":
        return postgresql.insert(UnitPosition).on_conflict_do_nothing(index_elements=keys)
    return sqlite.insert(UnitPosition).on_conflict_do_nothing(index_elements=keys)


#: Reports dated further ahead than this are refused: a wrong device clock would
#: otherwise pin the unit's position until real time caught up.
MAX_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(slots=True)
class _Latest:
    """What ingestion needs to know of a unit (plain columns, no ORM objects)."""

    agency_id: int
    shared_with: list[int]
    position_at: datetime | None


def ingest(*, db: Session, actor: Actor, reports: list[PositionReport]) -> PositionResult:
    """Store a batch of reports; all or nothing.

    Reports for units the caller's agency does not own are refused as a whole. A report
    already stored (same unit and time) is counted as a duplicate; one older than the
    unit's latest goes to history without moving the unit. The latest position only
    ever moves forward in time, even when two batches for one unit race.
    """
    wanted = {report.unit_id for report in reports}
    units = {
        uid: _Latest(agency_id, shared_with, position_at)
        for uid, agency_id, shared_with, position_at in db.execute(
            select(Unit.id, Unit.agency_id, Unit.shared_with, Unit.position_at).where(
                Unit.id.in_(wanted)
            )
        )
    }
    foreign = sorted(
        uid
        for uid in wanted
        if uid not in units
        or (actor.agency_id is not None and units[uid].agency_id != actor.agency_id)
    )
    if foreign:
        raise Invalid(f"unknown or foreign unit id(s): {foreign}", field="positions.unit_id")
    received = clock.now()
    future = [i for i, r in enumerate(reports) if r.time > received + MAX_CLOCK_SKEW]
    if future:
        raise Invalid(
            f"position time more than {MAX_CLOCK_SKEW.seconds // 60} minutes in the future "
            f"(check the device clock)",
            field=f"positions[{future[0]}].time",
        )
    unique = {(r.unit_id, r.time): r for r in reports}
    rows = [
        {
            "unit_id": r.unit_id,
            "at": r.time,
            "received_at": received,
            "lat": r.lat,
            "lon": r.lon,
            "heading": r.heading,
            "speed": r.speed,
        }
        for r in unique.values()
    ]
    stored = db.execute(
        _insert_ignoring_duplicates(db).returning(UnitPosition.unit_id, UnitPosition.at), rows
    ).all()
    fresh = [unique[(unit_id, at)] for unit_id, at in stored if (unit_id, at) in unique]
    newest, out_of_order = _newest_per_unit(units, fresh)
    if newest:
        _move(db, newest)
        emit(
            db,
            events.UnitsMoved(
                actor=actor.ref(),
                agency_id=actor.agency_id,
                # Plain values, made PositionUpdate in one pass (cheaper than a model each).
                positions=[
                    {
                        "unit_id": r.unit_id,
                        "agency_id": units[r.unit_id].agency_id,
                        "shared_with": units[r.unit_id].shared_with,
                        "lat": r.lat,
                        "lon": r.lon,
                        "heading": r.heading,
                        "speed": r.speed,
                        "time": r.time.isoformat(),
                    }
                    for r in newest
                ],
            ),
        )
    return PositionResult(
        accepted=len(stored), duplicates=len(reports) - len(stored), out_of_order=out_of_order
    )


def _newest_per_unit(
    units: dict[int, _Latest], reports: list[PositionReport]
) -> tuple[list[PositionReport], int]:
    """The newest report per unit that is newer than the unit's latest; and how many
    reports were older than what the unit already had."""
    newest: dict[int, PositionReport] = {}
    out_of_order = 0
    for report in reports:
        known = units[report.unit_id].position_at
        if known is not None and report.time <= known:
            out_of_order += 1
        elif report.unit_id not in newest or newest[report.unit_id].time < report.time:
            newest[report.unit_id] = report
    return list(newest.values()), out_of_order


def _move(db: Session, reports: list[PositionReport]) -> None:
    """Set each unit's latest position, unless a newer one got there first."""
    table = Base.metadata.tables["units"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("uid"))
        .where(or_(table.c.position_at.is_(None), table.c.position_at < bindparam("time")))
        .values(
            lat=bindparam("lat"),
            lon=bindparam("lon"),
            heading=bindparam("heading"),
            speed=bindparam("speed"),
            position_at=bindparam("time"),
        )
    )
    db.execute(
        statement,
        [
            {
                "uid": r.unit_id,
                "lat": r.lat,
                "lon": r.lon,
                "heading": r.heading,
                "speed": r.speed,
                "time": r.time,
            }
            for r in reports
        ],
    )


def purge(*, db: Session, older_than: datetime) -> int:
    """Delete position history recorded before ``older_than``; returns how many."""
    result = db.execute(delete(UnitPosition).where(UnitPosition.received_at < older_than))
    return int(result.rowcount)  # type: ignore[attr-defined]


def track(
    *,
    db: Session,
    actor: Actor,
    unit_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> list[UnitPosition]:
    """A unit's stored positions in time order (its breadcrumb trail on the map)."""
    unit_service.get_unit(db=db, actor=actor, unit_id=unit_id)  # visible to the caller, or 404
    query = select(UnitPosition).where(UnitPosition.unit_id == unit_id)
    if since is not None:
        query = query.where(UnitPosition.at >= since)
    if until is not None:
        query = query.where(UnitPosition.at <= until)
    newest = query.order_by(UnitPosition.at.desc()).limit(limit).subquery()
    alias = aliased(UnitPosition, newest)
    return list(db.scalars(select(alias).order_by(alias.at)))
