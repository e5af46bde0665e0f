"""AVL positions from vehicle terminals: latest on the unit, history kept for a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime
from signalfire.units import positions
from signalfire.units.models import UnitPosition
from tests.conftest import Clock, World
from tests.units import support
from tests.units.support import Crew, Json, ok

T0 = datetime(2026, 11, 26, 11, 59, tzinfo=UTC)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def report(unit_id: int, seconds: float, lat: float = 60.17, lon: float = 24.94) -> Json:
    return {"unit_id": unit_id, "lat": lat, "lon": lon, "time": at(seconds)}


@pytest.fixture
def fire(world: World) -> Crew:
    return support.crew(world, "FIRE")


@pytest.fixture
def units(client: TestClient, fire: Crew, frozen_clock: Clock) -> list[int]:
    home = support.station(client, fire.supervisor, "ST1", lat=60.0, lon=25.0)
    return [support.unit(client, fire.supervisor, c, station_id=home["id"])["id"] for c in "AB"]


def send(client: TestClient, crew: Crew, body: Json) -> Any:
    return client.post("/api/positions", json=body, headers=crew.terminal)


def latest(client: TestClient, crew: Crew, unit_id: int) -> tuple[float, float, str | None]:
    unit = ok(client.get(f"/api/units/{unit_id}", headers=crew.dispatcher))
    return unit["lat"], unit["lon"], unit["position_at"]


def history(runtime: Runtime, unit_id: int | None = None) -> list[tuple[int, datetime, float]]:
    """Stored reports as (unit, time, lat), oldest first."""
    query = select(UnitPosition).order_by(UnitPosition.unit_id, UnitPosition.at)
    if unit_id is not None:
        query = query.where(UnitPosition.unit_id == unit_id)
    with runtime.sessions() as db:
        return [(p.unit_id, p.at, p.lat) for p in db.scalars(query)]


def moment(value: str | None) -> datetime:
    assert value is not None
    return datetime.fromisoformat(value)


def test_a_single_report_moves_the_unit(
    client: TestClient, runtime: Runtime, fire: Crew, units: list[int]
) -> None:
    unit = units[0]
    body = {**report(unit, 0, lat=60.2, lon=24.8), "heading": 90, "speed": 12.5}
    assert ok(send(client, fire, body)) == {"accepted": 1, "duplicates": 0, "out_of_order": 0}
    fetched = ok(client.get(f"/api/units/{unit}", headers=fire.dispatcher))
    assert (fetched["lat"], fetched["lon"], fetched["heading"], fetched["speed"]) == (
        60.2,
        24.8,
        90,
        12.5,
    )
    assert moment(fetched["position_at"]) == T0
    assert history(runtime) == [(unit, T0, 60.2)]
    assert latest(client, fire, units[1]) == (60.0, 25.0, None)  # the other stays home


def test_a_batch_leaves_each_unit_at_its_newest_report(
    client: TestClient, runtime: Runtime, fire: Crew, units: list[int]
) -> None:
    a, b = units
    batch = [
        report(a, 20, lat=60.3),
        report(b, 5, lat=61.05),
        report(a, 40, lat=60.5),  # newest of A, in the middle of the batch
        report(a, 10, lat=60.1),
        report(b, 30, lat=61.3),  # newest of B
        report(b, 15, lat=61.15),
    ]
    result = ok(send(client, fire, {"positions": batch}))
    assert result == {"accepted": 6, "duplicates": 0, "out_of_order": 0}
    lat_a, _, when_a = latest(client, fire, a)
    lat_b, _, when_b = latest(client, fire, b)
    assert (lat_a, moment(when_a)) == (60.5, T0 + timedelta(seconds=40))
    assert (lat_b, moment(when_b)) == (61.3, T0 + timedelta(seconds=30))
    assert [lat for _, _, lat in history(runtime, a)] == [60.1, 60.3, 60.5]
    assert [lat for _, _, lat in history(runtime, b)] == [61.05, 61.15, 61.3]


def test_a_late_report_goes_to_history_without_moving_the_unit(
    client: TestClient, runtime: Runtime, fire: Crew, units: list[int]
) -> None:
    unit = units[0]
    ok(send(client, fire, report(unit, 60, lat=60.6)))
    late = ok(send(client, fire, report(unit, 30, lat=60.3)))
    assert late == {"accepted": 1, "duplicates": 0, "out_of_order": 1}
    lat, _, when = latest(client, fire, unit)
    assert (lat, moment(when)) == (60.6, T0 + timedelta(seconds=60))
    assert [lat for _, _, lat in history(runtime, unit)] == [60.3, 60.6]

    mixed = ok(send(client, fire, {"positions": [report(unit, 45), report(unit, 90, lat=60.9)]}))
    assert mixed == {"accepted": 2, "duplicates": 0, "out_of_order": 1}
    assert latest(client, fire, unit)[0] == 60.9


def test_an_exact_duplicate_is_counted_and_stored_once(
    client: TestClient, runtime: Runtime, fire: Crew, units: list[int]
) -> None:
    unit = units[0]
    ok(send(client, fire, report(unit, 0, lat=60.5)))
    again = ok(send(client, fire, report(unit, 0, lat=60.5)))
    assert again == {"accepted": 0, "duplicates": 1, "out_of_order": 0}

    # The same instant written in another zone is the same report.
    helsinki = timezone(timedelta(hours=2))
    same = {**report(unit, 0), "time": T0.astimezone(helsinki).isoformat()}
    assert same["time"].endswith("+02:00")
    assert ok(send(client, fire, same))["duplicates"] == 1

    twice = [report(unit, 10, lat=60.6), report(unit, 10, lat=60.6), report(unit, 0)]
    assert ok(send(client, fire, {"positions": twice})) == {
        "accepted": 1,
        "duplicates": 2,
        "out_of_order": 0,
    }
    assert history(runtime, unit) == [
        (unit, T0, 60.5),
        (unit, T0 + timedelta(seconds=10), 60.6),
    ]
    assert latest(client, fire, unit)[0] == 60.6


def test_a_batch_with_another_agencys_unit_is_refused_whole(
    client: TestClient, runtime: Runtime, world: World, fire: Crew, units: list[int]
) -> None:
    police = support.crew(world, "POLICE", kind="police")
    # Even a unit shared with the fire agency is not the fire terminals' to report.
    foreign = support.unit(client, police.supervisor, "P1", shared_with=[fire.agency_id])["id"]
    batch = [report(units[0], 0, lat=60.5), report(foreign, 0), report(units[1], 0)]
    response = send(client, fire, {"positions": batch})
    assert 400 <= response.status_code < 500
    assert str(foreign) in response.json()["detail"]
    assert str(units[0]) not in response.json()["detail"]
    unknown = send(client, fire, report(999_999, 0))
    assert 400 <= unknown.status_code < 500
    assert "999999" in unknown.json()["detail"]

    assert history(runtime) == []
    assert latest(client, fire, units[0]) == (60.0, 25.0, None)
    # The owner's terminal may report it.
    assert ok(send(client, police, report(foreign, 0)))["accepted"] == 1


def test_refused_reports_store_nothing(
    client: TestClient, runtime: Runtime, fire: Crew, units: list[int]
) -> None:
    naive = {**report(units[0], 0), "time": "2026-11-26T11:59:00"}
    for body in (naive, {"positions": [report(units[1], 0), naive]}):
        response = send(client, fire, body)
        assert response.status_code == 422, response.text
        assert any("time" in e["field"] for e in response.json()["errors"])
    # Only vehicle terminals report positions.
    for headers in (fire.dispatcher, fire.supervisor):
        response = client.post("/api/positions", json=report(units[0], 0), headers=headers)
        assert response.status_code == 403
    assert client.post("/api/positions", json=report(units[0], 0)).status_code == 401
    assert history(runtime) == []
    assert latest(client, fire, units[0]) == (60.0, 25.0, None)


def test_purge_deletes_only_older_history(
    client: TestClient, runtime: Runtime, fire: Crew, units: list[int], frozen_clock: Clock
) -> None:
    unit = units[0]
    ok(send(client, fire, {"positions": [report(unit, 0), report(unit, 30)]}))
    frozen_clock.advance(hours=2)
    ok(send(client, fire, report(unit, 2 * 3600, lat=61.0)))
    cutoff = frozen_clock.now - timedelta(hours=1)

    with transaction(runtime.sessions) as db:
        assert positions.purge(db=db, older_than=T0 - timedelta(hours=1)) == 0
    assert len(history(runtime)) == 3
    with transaction(runtime.sessions) as db:
        assert positions.purge(db=db, older_than=cutoff) == 2
    assert history(runtime) == [(unit, T0 + timedelta(hours=2), 61.0)]
    assert latest(client, fire, unit)[0] == 61.0  # the unit keeps its latest position


def test_a_report_from_the_future_is_refused(
    client: TestClient, fire: Crew, units: list[int], frozen_clock: Clock
) -> None:
    ahead = (frozen_clock.now + timedelta(hours=2)).isoformat()
    body = {"unit_id": units[0], "lat": 60.17, "lon": 24.94, "time": ahead}
    response = send(client, fire, body)
    assert response.status_code == 422
    assert response.json()["field"] == "positions[0].time"


def test_the_track_lists_a_units_positions_in_time_order(
    client: TestClient, fire: Crew, world: World, units: list[int]
) -> None:
    unit = units[0]
    late_first = [report(unit, s, lat=round(60.1 + s / 1000, 3)) for s in (30, 10, 20, 40)]
    ok(send(client, fire, {"positions": late_first}))
    track = ok(client.get(f"/api/units/{unit}/positions", headers=fire.dispatcher))
    assert [p["lat"] for p in track] == [60.11, 60.12, 60.13, 60.14]
    window = ok(
        client.get(
            f"/api/units/{unit}/positions",
            params={"since": at(15), "until": at(35)},
            headers=fire.dispatcher,
        )
    )
    assert [moment(p["time"]) for p in window] == [T0 + timedelta(seconds=s) for s in (20, 30)]
    newest = ok(client.get(f"/api/units/{unit}/positions?limit=2", headers=fire.dispatcher))
    assert [p["lat"] for p in newest] == [60.13, 60.14]
    other = support.crew(world, "POLICE")
    hidden = client.get(f"/api/units/{unit}/positions", headers=other.dispatcher)
    assert hidden.status_code == 404
