"""Migration 0010 gives incidents stored before it their grid cells (SQLite and, when
configured, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from signalfire.core import migrate
from signalfire.core.db import make_engine
from signalfire.geo.grid import cell_of
from tests.conftest import BACKENDS, throwaway_postgres

INCIDENT = (
    "INSERT INTO incidents (agency_id, number, status, nature_code, priority, modifiers,"
    " source, summary, lat, lon, created_at, version)"
    " VALUES (:agency, :number, 'new', 'FIRE-STRUCTURE', 2, '[]', 'api', '', :lat, :lon,"
    " :at, 1)"
)
AT = "2026-12-01 10:00:00+00:00"


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no schema at all."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/old.db")
        yield engine
        engine.dispose()
        return
    with throwaway_postgres("signalfire_migration") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def _at_0009(engine: Engine) -> Engine:
    migrate.upgrade(engine, "0009")
    with engine.begin() as connection:
        agency = connection.execute(
            text(
                "INSERT INTO agencies (code, name, kind, mfa_required_roles, created_at)"
                " VALUES ('F', 'Fire', 'fire', '[]', :at) RETURNING id"
            ),
            {"at": AT},
        ).scalar_one()
        for number, lat, lon in [("2026-000001", 60.17, 24.94), ("2026-000002", None, None)]:
            row = {"agency": agency, "number": number, "lat": lat, "lon": lon, "at": AT}
            connection.execute(text(INCIDENT), row)
    return engine


def test_incidents_stored_before_get_their_cells(empty_engine: Engine) -> None:
    engine = _at_0009(empty_engine)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT number, cell FROM incidents")).all()
    cells: dict[str, int | None] = {row[0]: row[1] for row in rows}
    assert cells == {"2026-000001": cell_of(60.17, 24.94), "2026-000002": None}
    indexes = {index["name"] for index in inspect(engine).get_indexes("incidents")}
    assert "ix_incidents_agency_cell" in indexes
    assert "ix_incidents_agency_created" not in indexes


def test_downgrade_restores_the_index_of_0009(empty_engine: Engine) -> None:
    engine = _at_0009(empty_engine)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "0009")
    columns = {column["name"] for column in inspect(engine).get_columns("incidents")}
    indexes = {index["name"] for index in inspect(engine).get_indexes("incidents")}
    assert "cell" not in columns
    assert "ix_incidents_agency_created" in indexes
