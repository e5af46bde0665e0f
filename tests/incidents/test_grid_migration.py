"""Migration 0010 gives incidents stored before it their grid cells."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

from signalfire.core import migrate
from signalfire.core.db import make_engine
from signalfire.geo.grid import cell_of

INCIDENT = (
    "INSERT INTO incidents (agency_id, number, status, nature_code, priority, modifiers,"
    " source, summary, lat, lon, created_at, version)"
    " VALUES (1, :number, 'new', 'FIRE-STRUCTURE', 2, '[]', 'api', '', :lat, :lon,"
    " '2026-12-01 10:00:00.000000', 1)"
)


def _at_0009(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    migrate.upgrade(engine, "0009")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO agencies (code, name, kind, mfa_required_roles, created_at)"
                " VALUES ('F', 'Fire', 'fire', '[]', '2026-12-01 09:00:00.000000')"
            )
        )
        connection.execute(text(INCIDENT), {"number": "2026-000001", "lat": 60.17, "lon": 24.94})
        connection.execute(text(INCIDENT), {"number": "2026-000002", "lat": None, "lon": None})
    return engine


def test_incidents_stored_before_get_their_cells(tmp_path: Path) -> None:
    engine = _at_0009(tmp_path)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT number, cell FROM incidents")).all()
    cells: dict[str, int | None] = {row[0]: row[1] for row in rows}
    assert cells == {"2026-000001": cell_of(60.17, 24.94), "2026-000002": None}
    indexes = {index["name"] for index in inspect(engine).get_indexes("incidents")}
    assert "ix_incidents_agency_cell" in indexes
    assert "ix_incidents_agency_created" not in indexes
    engine.dispose()


def test_downgrade_restores_the_index_of_0009(tmp_path: Path) -> None:
    engine = _at_0009(tmp_path)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "0009")
    columns = {column["name"] for column in inspect(engine).get_columns("incidents")}
    indexes = {index["name"] for index in inspect(engine).get_indexes("incidents")}
    assert "cell" not in columns
    assert "ix_incidents_agency_created" in indexes
    engine.dispose()
