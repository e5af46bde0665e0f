"""Unit recommendation: least road ETA among eligible units, reasons for the rest,
closures change the answer."""

from __future__ import annotations

import random
from typing import Any

import pytest
from fastapi.testclient import TestClient

from signalfire.core import clock
from signalfire.core.runtime import Runtime
from tests.conftest import World
from tests.units.support import Crew, assign, crew, incident, ok, set_status, station, unit

Json = dict[str, Any]


def road_points(runtime: Runtime, count: int, seed: int) -> list[tuple[float, float]]:
    """Coordinates of random road nodes of the Helsinki network."""
    graph = runtime.roads.graph
    rng = random.Random(seed)
    nodes = rng.sample(range(graph.node_count), count)
    return [(float(graph.lat[n]), float(graph.lon[n])) for n in nodes]


def fleet(client: TestClient, runtime: Runtime, desk: Crew, kinds: list[str]) -> list[Json]:
    """One unit per kind, each at its own station on a random road point."""
    made = []
    for i, (kind, (lat, lon)) in enumerate(
        zip(kinds, road_points(runtime, len(kinds), 4), strict=True)
    ):
        home = station(client, desk.supervisor, f"S{i}", lat, lon)
        made.append(
            unit(
                client,
                desk.supervisor,
                f"{kind[:1].upper()}{i}",
                unit_type=kind,
                station_id=home["id"],
            )
        )
    return made


def plan(client: TestClient, desk: Crew, requirements: list[Json]) -> None:
    body = {"nature_code": "FIRE-STRUCTURE", "name": "first alarm", "requirements": requirements}
    ok(client.post("/api/plans", json=body, headers=desk.supervisor), 201)


def recommend(client: TestClient, desk: Crew, incident_id: int) -> Json:
    result: Json = ok(
        client.post(f"/api/incidents/{incident_id}/recommendation", headers=desk.dispatcher)
    )
    return result


def brute_force_eta(runtime: Runtime, unit_row: Json, target: Json) -> float:
    """Each unit's ETA on its own, by a separate point-to-point route."""
    graph, router = runtime.roads.graph, runtime.roads.router()
    route = router.route(
        graph.snap(unit_row["lat"], unit_row["lon"]),
        graph.snap(target["lat"], target["lon"]),
        clock.now(),
    )
    return route.seconds if route else float("inf")


@pytest.fixture
def desk(world: World) -> Crew:
    return crew(world, "HKI")


def test_the_proposed_units_have_the_least_eta(
    client: TestClient, runtime: Runtime, desk: Crew
) -> None:
    units = fleet(client, runtime, desk, ["engine"] * 6 + ["als_ambulance"] * 3)
    plan(
        client,
        desk,
        [{"unit_type": "engine", "count": 2}, {"unit_type": "als_ambulance", "count": 1}],
    )
    ((lat, lon),) = road_points(runtime, 1, 99)
    fire = incident(client, desk.dispatcher, lat=lat, lon=lon)
    result = recommend(client, desk, fire["id"])
    engines, ambulance = result["requirements"]
    expected = sorted(
        (brute_force_eta(runtime, u, fire), u["id"]) for u in units if u["unit_type"] == "engine"
    )
    assert [o["unit_id"] for o in engines["proposed"]] == [uid for _eta, uid in expected[:2]]
    for option, (eta, _uid) in zip(engines["proposed"], expected, strict=False):
        assert option["eta_s"] == pytest.approx(eta, abs=0.1)
        assert option["road_m"] > 0
        assert option["reason"] == "available"
    assert [o["unit_id"] for o in engines["alternatives"]] == [uid for _e, uid in expected[2:]]
    medics = sorted(
        (brute_force_eta(runtime, u, fire), u["id"])
        for u in units
        if u["unit_type"] == "als_ambulance"
    )
    assert [o["unit_id"] for o in ambulance["proposed"]] == [medics[0][1]]
    assert (engines["short_by"], ambulance["short_by"]) == (0, 0)


def test_units_that_cannot_go_say_why(client: TestClient, runtime: Runtime, desk: Crew) -> None:
    units = fleet(client, runtime, desk, ["engine"] * 4)
    plan(client, desk, [{"unit_type": "engine", "count": 4}])
    (lat, lon), (lat2, lon2) = road_points(runtime, 2, 7)
    fire = incident(client, desk.dispatcher, lat=lat, lon=lon)
    other = incident(client, desk.dispatcher, lat=lat2, lon=lon2)
    ok(set_status(client, desk.dispatcher, units[0]["id"], "out_of_service"))
    ok(assign(client, desk.dispatcher, other["id"], units[1]["id"]), 201)
    ok(assign(client, desk.dispatcher, fire["id"], units[2]["id"]), 201)
    engines = recommend(client, desk, fire["id"])["requirements"][0]
    reasons = {o["unit_id"]: o["reason"] for o in engines["unavailable"]}
    assert reasons == {
        units[0]["id"]: "out of service",
        units[1]["id"]: f"dispatched on incident {other['number']}",
        units[2]["id"]: "already assigned to this incident",
    }
    assert [o["unit_id"] for o in engines["proposed"]] == [units[3]["id"]]
    assert engines["short_by"] == 3


def test_a_road_closure_changes_the_choice(
    client: TestClient, runtime: Runtime, desk: Crew
) -> None:
    units = fleet(client, runtime, desk, ["engine"] * 5)
    plan(client, desk, [{"unit_type": "engine", "count": 1}])
    ((lat, lon),) = road_points(runtime, 1, 42)
    fire = incident(client, desk.dispatcher, lat=lat, lon=lon)
    first = recommend(client, desk, fire["id"])["requirements"][0]["proposed"][0]
    nearest = next(u for u in units if u["id"] == first["unit_id"])
    # Close the road the nearest engine stands on: it can no longer get out.
    closed = ok(
        client.post(
            "/api/road-closures",
            json={"lat": nearest["lat"], "lon": nearest["lon"], "reason": "collapsed building"},
            headers=desk.dispatcher,
        ),
        201,
    )
    second = recommend(client, desk, fire["id"])["requirements"][0]
    assert second["proposed"][0]["unit_id"] != nearest["id"]
    stuck = next(
        o for o in second["unavailable"] + second["alternatives"] if o["unit_id"] == nearest["id"]
    )
    assert stuck["reason"] == "no road route to the incident" or stuck["eta_s"] > first["eta_s"]
    reopened = client.delete(f"/api/road-closures/{closed['edge']}", headers=desk.dispatcher)
    assert reopened.status_code == 204
    again = recommend(client, desk, fire["id"])["requirements"][0]["proposed"][0]
    assert again["unit_id"] == nearest["id"]


def test_other_agencies_units_appear_only_when_shared(
    client: TestClient, runtime: Runtime, world: World, desk: Crew
) -> None:
    ems = crew(world, "EMS", kind="ems")
    (lat, lon), (slat, slon) = road_points(runtime, 2, 8)
    home = station(client, ems.supervisor, "E1", slat, slon)
    lent = unit(
        client,
        ems.supervisor,
        "A1",
        unit_type="als_ambulance",
        station_id=home["id"],
        shared_with=[desk.agency_id],
    )
    unit(client, ems.supervisor, "A2", unit_type="als_ambulance", station_id=home["id"])
    plan(client, desk, [{"unit_type": "als_ambulance", "count": 2}])
    fire = incident(client, desk.dispatcher, lat=lat, lon=lon)
    medics = recommend(client, desk, fire["id"])["requirements"][0]
    listed = [
        o["unit_id"] for o in medics["proposed"] + medics["alternatives"] + medics["unavailable"]
    ]
    assert listed == [lent["id"]]
    assert medics["short_by"] == 1


def test_without_a_run_card_the_nearest_unit_is_proposed(
    client: TestClient, runtime: Runtime, desk: Crew
) -> None:
    units = fleet(client, runtime, desk, ["engine", "patrol", "als_ambulance"])
    ((lat, lon),) = road_points(runtime, 1, 5)
    fire = incident(client, desk.dispatcher, lat=lat, lon=lon)
    result = recommend(client, desk, fire["id"])
    assert result["plan_id"] is None
    best = min((brute_force_eta(runtime, u, fire), u["id"]) for u in units)
    assert result["requirements"][0]["proposed"][0]["unit_id"] == best[1]


def test_station_coverage_grows_with_minutes(
    client: TestClient, runtime: Runtime, desk: Crew
) -> None:
    ((lat, lon),) = road_points(runtime, 1, 6)
    home = station(client, desk.supervisor, "C1", lat, lon)
    small = ok(
        client.get(
            f"/api/stations/{home['id']}/coverage", params={"minutes": 0.5}, headers=desk.dispatcher
        )
    )
    large = ok(
        client.get(
            f"/api/stations/{home['id']}/coverage", params={"minutes": 3}, headers=desk.dispatcher
        )
    )
    assert 0 < small["reachable_nodes"] < large["reachable_nodes"]
    assert len(large["polygon"]) >= 3
