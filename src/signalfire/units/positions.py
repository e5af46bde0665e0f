"""AVL: accept unit positions, keep the latest on the unit, history for a while."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Invalid
from signalfire.core.events import emit
from signalfire.units import events
from signalfire.units.models import Unit, UnitPosition
from signalfire.units.schemas import PositionReport, PositionResult


def _insert_ignoring_duplicates(db: Session) -> postgresql.Insert | sqlite.Insert:
    keys = ["unit_id", "at"]
    if db.get_bind().dialect.name == "postgresql":
        return postgresql.insert(UnitPosition).on_conflict_do_nothing(index_elements=keys)
    return sqlite.insert(UnitPosition).on_conflict_do_nothing(index_elements=keys)


def ingest(*, db: Session, actor: Actor, reports: list[PositionReport]) -> PositionResult:
    """Store a batch of reports; all or nothing.

    Reports for units the caller's agency does not own are refused as a whole. A report
    already stored (same unit and time) is counted as a duplicate; one older than the
    unit's latest goes to history without moving the unit.
    """
    wanted = {report.unit_id for report in reports}
    units = {u.id: u for u in db.scalars(select(Unit).where(Unit.id.in_(wanted)))}
    foreign = sorted(
        uid
        for uid in wanted
        if uid not in units
        or (actor.agency_id is not None and units[uid].agency_id != actor.agency_id)
    )
    if foreign:
        raise Invalid(f"unknown or foreign unit id(s): {foreign}", field="positions.unit_id")
    received = clock.now()
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
    inserted = {(unit_id, at) for unit_id, at in stored}
    moved, out_of_order = _advance_latest(units, [unique[key] for key in inserted if key in unique])
    if moved:
        emit(
            db,
            events.UnitsMoved(
                actor=actor.ref(),
                agency_id=actor.agency_id,
                positions=[
                    {
                        "unit_id": u.id,
                        "agency_id": u.agency_id,
                        "shared_with": u.shared_with,
                        "lat": u.lat,
                        "lon": u.lon,
                        "heading": u.heading,
                        "speed": u.speed,
                        "time": u.position_at.isoformat() if u.position_at else None,
                    }
                    for u in moved
                ],
            ),
        )
    return PositionResult(
        accepted=len(inserted),
        duplicates=len(reports) - len(inserted),
        out_of_order=out_of_order,
    )


def _advance_latest(
    units: dict[int, Unit], reports: list[PositionReport]
) -> tuple[list[Unit], int]:
    moved: dict[int, Unit] = {}
    out_of_order = 0
    for report in sorted(reports, key=lambda r: r.time):
        unit = units[report.unit_id]
        if unit.position_at is not None and report.time <= unit.position_at:
            out_of_order += 1
            continue
        unit.lat, unit.lon = report.lat, report.lon
        unit.heading, unit.speed, unit.position_at = report.heading, report.speed, report.time
        moved[unit.id] = unit
    return list(moved.values()), out_of_order


def purge(*, db: Session, older_than: datetime) -> int:
    """Delete position history recorded before ``older_than``; returns how many."""
    result = db.execute(delete(UnitPosition).where(UnitPosition.received_at < older_than))
    return int(result.rowcount)  # type: ignore[attr-defined]
