"""The duplicate check reads the few grid cells around a call, never an agency's history.

SQLite keeps no statistics, so its planner chooses by the shape of a query alone: a
harmless-looking condition once made it walk every incident the agency ever had. These
tests record the statements a real intake sends and ask SQLite how it runs each.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.config import load_settings
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime, build_runtime
from signalfire.incidents import duplicates, intake
from signalfire.incidents.natures import DEFAULT_CATALOGUE, Nature
from signalfire.incidents.schemas import IncidentCreate
from tests.conftest import World
from tests.incidents.support import call


@pytest.fixture
def sqlite_runtime(sqlite_template: Path, tmp_path: Path) -> Iterator[Runtime]:
    path = tmp_path / "plans.db"
    shutil.copy(sqlite_template, path)
    rt = build_runtime(load_settings(database={"url": f"sqlite:///{path}"}, data_dir=tmp_path))
    yield rt
    rt.engine.dispose()


def _call(lat: float, lon: float, number: str | None) -> IncidentCreate:
    return IncidentCreate.model_validate(
        call(at=(lat, lon), source="caller_device", caller_number=number)
    )


def _plans_of_reads(runtime: Runtime, actor: Actor, data: IncidentCreate) -> list[str]:
    """How SQLite runs each read of ``incidents`` that opening ``data`` sends."""
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM incidents" in statement:
            sent.append((statement, params))

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        with transaction(runtime.sessions) as db:
            intake.create(db=db, actor=actor, data=data)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)
    with runtime.engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        return [
            " / ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in sent
        ]


@pytest.mark.parametrize("number", ["+358 40 1234567", None])
def test_the_duplicate_check_seeks_the_cells_and_the_caller(
    sqlite_runtime: Runtime, number: str | None
) -> None:
    agency = World(sqlite_runtime).agency("FIRE")
    actor = Actor(None, "plans", agency.id, frozenset(Role), "cli")
    for k in range(30):  # a history to walk, if the plan did
        with transaction(sqlite_runtime.sessions) as db:
            intake.create(db=db, actor=actor, data=_call(60.10 + k * 0.01, 24.9, f"+358 {k}"))
    plans = _plans_of_reads(sqlite_runtime, actor, _call(60.17, 24.94, number))
    assert plans, "the duplicate check sent no query"
    assert any("ix_incidents_agency_cell (agency_id=? AND cell=? AND" in p for p in plans)
    for plan in plans:
        assert "SCAN incidents" not in plan
        assert "rowid<" not in plan  # the walk down the agency's ids
    if number:
        assert any("ix_incident_callers_number (number=?)" in p for p in plans)


def test_a_call_at_the_pole_asks_for_its_box_once(sqlite_runtime: Runtime) -> None:
    agency = World(sqlite_runtime).agency("FIRE")
    actor = Actor(None, "plans", agency.id, frozenset(Role), "cli")
    # Near the pole the box spans every longitude: thousands of grid cells, so the box
    # itself is asked for, in one statement, rather than the cells in thousands.
    plans = _plans_of_reads(sqlite_runtime, actor, _call(90.0, 0.0, "+358 40 7654321"))
    assert len(plans) == 2  # the box, the caller's calls


def test_each_cell_is_read_newest_first_without_a_sort(sqlite_runtime: Runtime) -> None:
    agency = World(sqlite_runtime).agency("FIRE")
    actor = Actor(None, "plans", agency.id, frozenset(Role), "cli")
    plans = _plans_of_reads(sqlite_runtime, actor, _call(60.17, 24.94, None))
    assert plans
    # The cap is what bounds a storm; a sort would first read every row of the cell.
    for plan in plans:
        assert "TEMP B-TREE" not in plan


def test_a_storm_reads_a_bounded_number_of_incidents(sqlite_runtime: Runtime) -> None:
    agency = World(sqlite_runtime).agency("FIRE")
    actor = Actor(None, "plans", agency.id, frozenset(Role), "cli")
    storm = 4 * duplicates.NEWEST_PER_CELL  # all open, in one spot, within the window
    with transaction(sqlite_runtime.sessions) as db:
        for k in range(storm):
            intake.create(db=db, actor=actor, data=_call(60.1701, 24.9401 + k * 1e-6, None))
    new = duplicates.Report(60.1701, 24.9401, clock.now(), _nature("FIRE-ALARM"), None)
    queries = duplicates._queries(new, agency.id)
    with transaction(sqlite_runtime.sessions) as db:
        read = sum(len(db.connection().execute(q, p).all()) for q, p in queries)
        found = duplicates.find(db=db, new=new, agency_id=agency.id, natures=_natures())
    assert read == duplicates.NEWEST_PER_CELL  # one cell holds them all
    assert len(found) == duplicates.MAX_CANDIDATES
    # the newest ones are weighed (ids follow arrival), not the first that came in
    assert min(c.incident_id for c in found) > storm - duplicates.NEWEST_PER_CELL


def _natures() -> dict[str, Nature]:
    return {n.code: n for n in DEFAULT_CATALOGUE}


def _nature(code: str) -> Nature:
    return _natures()[code]
