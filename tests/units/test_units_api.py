"""Stations and units over HTTP: registering them, listing them, mutual-aid sharing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from signalfire.core.auth.permissions import Role
from tests.conftest import World, bearer
from tests.units import support
from tests.units.support import Crew, ok


@pytest.fixture
def fire(world: World) -> Crew:
    return support.crew(world, "FIRE")


def test_admin_and_supervisor_register_stations_and_units(
    client: TestClient, world: World, fire: Crew
) -> None:
    police = support.crew(world, "POLICE", kind="police")
    support.station(client, police.supervisor, "P1")
    support.unit(client, police.supervisor, "P11")
    admin = bearer(world.token(world.user("fire.admin", fire.agency, [Role.ADMIN], password=None)))
    by_admin = support.station(client, admin, "ST1", lat=60.1, lon=24.9)
    by_supervisor = support.station(client, fire.supervisor, "ST2", lat=60.2, lon=25.0)
    assert by_admin["agency_id"] == by_supervisor["agency_id"] == fire.agency_id

    engine = support.unit(client, admin, "E11", station_id=by_admin["id"])
    ambulance = support.unit(
        client, fire.supervisor, "M21", unit_type="als_ambulance", station_id=by_supervisor["id"]
    )
    assert (engine["agency_id"], engine["unit_type"]) == (fire.agency_id, "engine")
    assert ambulance["unit_type"] == "als_ambulance"

    listed = ok(client.get("/api/stations", headers=fire.dispatcher))
    assert [s["code"] for s in listed] == ["ST1", "ST2"]
    units = ok(client.get("/api/units", headers=fire.dispatcher))
    assert [u["callsign"] for u in units] == ["E11", "M21"]

    # Dispatchers and vehicle terminals use units; they do not register them.
    station = {"code": "ST9", "name": "Nine", "lat": 60.0, "lon": 25.0}
    unit = {"callsign": "X1", "unit_type": "engine"}
    for headers in (fire.dispatcher, fire.terminal):
        assert client.post("/api/stations", json=station, headers=headers).status_code == 403
        assert client.post("/api/units", json=unit, headers=headers).status_code == 403
    assert len(ok(client.get("/api/stations", headers=fire.supervisor))) == 2
    assert len(ok(client.get("/api/units", headers=fire.supervisor))) == 2


def test_a_unit_starts_available_at_its_station(client: TestClient, fire: Crew) -> None:
    home = support.station(client, fire.supervisor, "ST1", lat=60.1699, lon=24.9384)
    created = support.unit(client, fire.supervisor, "E11", station_id=home["id"])
    assert created["status"] == "available"
    assert created["home_station_id"] == home["id"]
    assert (created["lat"], created["lon"]) == (60.1699, 24.9384)
    assert created["position_at"] is None
    fetched = ok(client.get(f"/api/units/{created['id']}", headers=fire.dispatcher))
    assert (fetched["status"], fetched["lat"], fetched["lon"]) == ("available", 60.1699, 24.9384)

    homeless = support.unit(client, fire.supervisor, "CHIEF1", unit_type="chief")
    assert homeless["status"] == "available"
    assert (homeless["lat"], homeless["lon"], homeless["home_station_id"]) == (None, None, None)


def test_duplicates_and_unknown_stations_are_refused(
    client: TestClient, world: World, fire: Crew
) -> None:
    support.station(client, fire.supervisor, "ST1")
    again = client.post(
        "/api/stations",
        json={"code": "ST1", "name": "Again", "lat": 1, "lon": 2},
        headers=fire.supervisor,
    )
    assert ok(again, 409)["field"] == "code"

    support.unit(client, fire.supervisor, "E11")
    clash = client.post(
        "/api/units", json={"callsign": "E11", "unit_type": "ladder"}, headers=fire.supervisor
    )
    body = ok(clash, 409)
    assert body["field"] == "callsign"
    assert "E11" in body["detail"]
    assert len(ok(client.get("/api/units", headers=fire.supervisor))) == 1

    # Callsigns are unique per agency only.
    police = support.crew(world, "POLICE", kind="police")
    other = support.unit(client, police.supervisor, "E11")
    assert other["agency_id"] == police.agency_id

    # A home station must exist and belong to the unit's agency.
    foreign = support.station(client, police.supervisor, "P1")
    for station_id in (987654, foreign["id"]):
        response = client.post(
            "/api/units",
            json={"callsign": "E12", "unit_type": "engine", "home_station_id": station_id},
            headers=fire.supervisor,
        )
        body = ok(response, 422)
        assert body["field"] == "home_station_id"
        assert str(station_id) in body["detail"]
    assert [u["callsign"] for u in ok(client.get("/api/units", headers=fire.supervisor))] == ["E11"]


def test_units_are_listed_by_status(client: TestClient, fire: Crew) -> None:
    ids = {c: support.unit(client, fire.supervisor, c)["id"] for c in ("E1", "E2", "E3", "E4")}
    ok(support.set_status(client, fire.dispatcher, ids["E2"], "out_of_service"))
    ok(support.set_status(client, fire.dispatcher, ids["E3"], "available_on_radio"))

    def listed(*statuses: str) -> list[str]:
        params = {"status": list(statuses)}
        units = ok(client.get("/api/units", params=params, headers=fire.dispatcher))
        assert all(u["status"] in statuses for u in units) or not statuses
        return [u["callsign"] for u in units]

    assert listed() == ["E1", "E2", "E3", "E4"]
    assert listed("available") == ["E1", "E4"]
    assert listed("out_of_service") == ["E2"]
    assert listed("out_of_service", "available_on_radio") == ["E2", "E3"]
    assert listed("on_scene") == []
    bad = client.get("/api/units", params={"status": "asleep"}, headers=fire.dispatcher)
    assert ok(bad, 422)["errors"][0]["field"].endswith("status[0]")


def test_mutual_aid_units_are_visible_only_where_shared(client: TestClient, world: World) -> None:
    a, b, c = (support.crew(world, code) for code in ("AGENCY-A", "AGENCY-B", "AGENCY-C"))
    shared = support.unit(client, b.supervisor, "B1", shared_with=[a.agency_id, b.agency_id])
    private = support.unit(client, b.supervisor, "B2")
    own = support.unit(client, a.supervisor, "A1")
    assert shared["shared_with"] == [a.agency_id]  # the owner is never in its own list

    def visible(crew: Crew) -> list[str]:
        return [u["callsign"] for u in ok(client.get("/api/units", headers=crew.dispatcher))]

    assert visible(a) == ["A1", "B1"]
    assert visible(b) == ["B1", "B2"]
    assert visible(c) == []
    assert ok(client.get(f"/api/units/{shared['id']}", headers=a.dispatcher))["callsign"] == "B1"
    for crew, unit in ((c, shared), (a, private), (b, own)):
        response = client.get(f"/api/units/{unit['id']}", headers=crew.dispatcher)
        assert response.status_code == 404, (crew.code, unit["callsign"])

    # Only the owner changes sharing; once withdrawn, A no longer sees the unit.
    attempt = client.patch(
        f"/api/units/{shared['id']}", json={"shared_with": [c.agency_id]}, headers=a.supervisor
    )
    assert attempt.status_code == 403
    withdrawn = client.patch(
        f"/api/units/{shared['id']}", json={"shared_with": []}, headers=b.supervisor
    )
    assert ok(withdrawn)["shared_with"] == []
    assert visible(a) == ["A1"]
