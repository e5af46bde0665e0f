"""Duplicate detection at intake and on demand, and merging duplicates by linking."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from signalfire.geo.grid import cell_of
from tests.conftest import Clock, World
from tests.incidents.support import (
    ORIGIN,
    Json,
    Staff,
    call,
    east_of,
    get_json,
    intake,
    north_of,
    open_incident,
    staff,
)

NUMBER = "+358 50 1112223"


@pytest.fixture
def fire(frozen_clock: Clock, world: World) -> Staff:
    return staff(world, world.agency("FIRE"))


@pytest.fixture
def police(frozen_clock: Clock, world: World) -> Staff:
    return staff(world, world.agency("POLICE", kind="police"))


def candidates(client: TestClient, desk: Staff, body: Json) -> list[Json]:
    found: list[Json] = intake(client, desk.call_taker, body)["duplicates"]
    return found


def ids(found: list[Json]) -> list[int]:
    return [c["incident_id"] for c in found]


def end(client: TestClient, desk: Staff, incident: Json, how: str) -> None:
    response = client.post(
        f"/api/incidents/{incident['id']}/{how}",
        json={"disposition": "resolved"},
        headers=desk.dispatcher,
    )
    assert response.status_code == 200, response.text


def link(client: TestClient, desk: Staff, a: Json, b: Json, kind: str = "duplicate") -> int:
    response = client.post(
        f"/api/incidents/{a['id']}/links",
        json={"other_id": b["id"], "kind": kind},
        headers=desk.dispatcher,
    )
    return response.status_code


def events_of(client: TestClient, desk: Staff, incident: Json, **params: object) -> list[Json]:
    path = f"/api/incidents/{incident['id']}/timeline"
    events: list[Json] = get_json(client, path, desk.dispatcher, **params)
    return events


def test_a_call_nearby_soon_after_is_a_candidate_with_reasons(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    first = open_incident(client, fire.call_taker)
    frozen_clock.advance(minutes=3)
    found = candidates(client, fire, call(at=north_of(ORIGIN, 100)))
    assert len(found) == 1
    match = found[0]
    assert (match["incident_id"], match["number"]) == (first["id"], first["number"])
    assert match["reasons"] == ["100 m away", "3 min apart", "same nature"]
    assert match["distance_m"] == pytest.approx(100, abs=0.5)
    assert match["minutes_apart"] == 3.0
    # 0.4 x (1 - 100/500) + 0.3 x (1 - 3/30) + 0.3 x 1
    assert match["score"] == pytest.approx(0.89, abs=0.002)


def test_a_related_nature_counts_less(client: TestClient, fire: Staff, frozen_clock: Clock) -> None:
    open_incident(client, fire.call_taker)
    frozen_clock.advance(minutes=3)
    smoke = candidates(client, fire, call("FIRE-SMOKE", at=north_of(ORIGIN, 100)))
    assert smoke[0]["reasons"][-1] == "related nature"
    assert smoke[0]["score"] == pytest.approx(0.74, abs=0.002)


def test_a_call_far_away_of_another_discipline_is_not(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    open_incident(client, fire.call_taker)
    frozen_clock.advance(minutes=3)
    assert candidates(client, fire, call("LAW-THEFT", at=east_of(ORIGIN, 5000))) == []
    assert candidates(client, fire, call("MED-SICK", at=ORIGIN)) == []  # other discipline


def test_a_call_across_a_grid_corner_is_a_candidate(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    corner = (60.18, 24.96)  # where four cells of the duplicate check's grid meet
    before = east_of(north_of(corner, -30), -30)
    after = east_of(north_of(corner, 30), 30)
    assert cell_of(*before) != cell_of(*after)
    first = open_incident(client, fire.call_taker, call(at=before))
    frozen_clock.advance(minutes=1)
    found = candidates(client, fire, call(at=after))
    assert ids(found) == [first["id"]]
    assert found[0]["distance_m"] == pytest.approx(85, abs=1)


@pytest.mark.parametrize("pole", [(89.999, 170.0), (90.0, 0.0), (-90.0, -45.0)])
def test_near_a_pole_a_call_across_the_longitudes_is_a_candidate(
    client: TestClient, fire: Staff, frozen_clock: Clock, pole: tuple[float, float]
) -> None:
    lat = 89.9995 if pole[0] > 0 else -89.9995
    first = open_incident(client, fire.call_taker, call(at=(lat, 10.0)))
    frozen_clock.advance(minutes=1)
    found = candidates(client, fire, call(at=pole))
    assert ids(found) == [first["id"]]
    assert found[0]["distance_m"] < 200


def test_an_incident_moved_elsewhere_is_found_where_it_now_is(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    first = open_incident(client, fire.call_taker)
    moved = east_of(ORIGIN, 3000)
    response = client.post(
        f"/api/incidents/{first['id']}/locations",
        json={"lat": moved[0], "lon": moved[1], "source": "manual", "make_primary": True},
        headers=fire.call_taker,
    )
    assert response.status_code == 201, response.text
    frozen_clock.advance(minutes=2)
    assert ids(candidates(client, fire, call(at=moved))) == [first["id"]]
    assert first["id"] not in ids(candidates(client, fire, call()))


def test_old_incidents_at_the_same_place_are_not(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    first = open_incident(client, fire.call_taker)
    frozen_clock.advance(minutes=29)
    second = intake(client, fire.call_taker, call())
    assert ids(second["duplicates"]) == [first["id"]]
    frozen_clock.advance(minutes=2)  # 31 min after the first, 2 after the second
    assert ids(candidates(client, fire, call())) == [second["incident"]["id"]]


def test_the_same_caller_number_far_away_is_still_a_candidate(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    first = open_incident(client, fire.call_taker, call(caller_number=NUMBER))
    open_incident(client, fire.call_taker, call(caller_number="+358 50 9999999"))
    frozen_clock.advance(minutes=3)
    found = candidates(client, fire, call("MED-SICK", east_of(ORIGIN, 5000), caller_number=NUMBER))
    assert ids(found) == [first["id"]]
    assert "same caller number" in found[0]["reasons"]
    assert found[0]["reasons"][:3] == ["5000 m away", "3 min apart", "different nature"]


def test_closed_and_cancelled_incidents_are_never_candidates(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    closed = open_incident(client, fire.call_taker, call(caller_number=NUMBER))
    cancelled = open_incident(client, fire.call_taker, call(caller_number=NUMBER))
    still_open = open_incident(client, fire.call_taker, call(at=north_of(ORIGIN, 30)))
    end(client, fire, closed, "close")
    end(client, fire, cancelled, "cancel")
    frozen_clock.advance(minutes=1)
    probe = intake(client, fire.call_taker, call(caller_number=NUMBER))
    assert ids(probe["duplicates"]) == [still_open["id"]]
    end(client, fire, still_open, "close")
    end(client, fire, probe["incident"], "cancel")
    assert candidates(client, fire, call(caller_number=NUMBER)) == []


def test_another_agencys_incident_is_never_a_candidate(
    client: TestClient, fire: Staff, police: Staff, frozen_clock: Clock
) -> None:
    theirs = open_incident(client, police.call_taker, call(caller_number=NUMBER))
    frozen_clock.advance(minutes=1)
    ours = intake(client, fire.call_taker, call(caller_number=NUMBER))
    assert ours["duplicates"] == []
    path = f"/api/incidents/{ours['incident']['id']}/duplicates"
    assert get_json(client, path, fire.dispatcher) == []
    path = f"/api/incidents/{theirs['id']}/duplicates"
    assert get_json(client, path, police.dispatcher) == []


def test_nearer_and_sooner_rank_higher(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    far_old = open_incident(client, fire.call_taker, call(at=north_of(ORIGIN, 400)))
    near_old = open_incident(client, fire.call_taker, call(at=north_of(ORIGIN, 50)))
    frozen_clock.advance(minutes=10)
    near_new = open_incident(client, fire.call_taker, call(at=east_of(ORIGIN, 50)))
    frozen_clock.advance(minutes=2)
    found = candidates(client, fire, call())
    assert ids(found) == [near_new["id"], near_old["id"], far_old["id"]]
    scores = [c["score"] for c in found]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 3
    assert all(0 < s <= 1 for s in scores)


def test_duplicates_of_an_existing_incident(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    first = open_incident(client, fire.call_taker)
    frozen_clock.advance(minutes=3)
    second = intake(client, fire.call_taker, call(at=north_of(ORIGIN, 100)))
    frozen_clock.advance(minutes=20)  # asking later changes nothing: times are the calls'
    path = f"/api/incidents/{first['id']}/duplicates"
    both_ways = get_json(client, path, fire.analyst)
    assert ids(both_ways) == [second["incident"]["id"]]
    assert both_ways[0]["reasons"] == second["duplicates"][0]["reasons"]
    assert both_ways[0]["score"] == second["duplicates"][0]["score"]
    end(client, fire, second["incident"], "cancel")
    assert get_json(client, path, fire.analyst) == []


def test_merging_a_duplicate_cancels_it_and_keeps_both_timelines(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    a = open_incident(client, fire.call_taker)
    frozen_clock.advance(minutes=2)
    b = open_incident(client, fire.call_taker, call(at=north_of(ORIGIN, 60), summary="b"))
    b_before = {e["id"] for e in events_of(client, fire, b)}
    frozen_clock.advance(minutes=1)
    response = client.post(
        f"/api/incidents/{a['id']}/links",
        json={"other_id": b["id"], "kind": "duplicate"},
        headers=fire.dispatcher,
    )
    assert response.status_code == 201, response.text
    assert {k: response.json()[k] for k in ("incident_id", "other_id", "kind")} == {
        "incident_id": a["id"],
        "other_id": b["id"],
        "kind": "duplicate",
    }

    merged = get_json(client, f"/api/incidents/{b['id']}", fire.dispatcher)
    assert (merged["status"], merged["disposition"]) == ("cancelled", "duplicate")
    assert datetime.fromisoformat(merged["closed_at"]) == frozen_clock.now
    kept = get_json(client, f"/api/incidents/{a['id']}", fire.dispatcher)
    assert (kept["status"], kept["disposition"]) == ("new", None)
    open_ids = [i["id"] for i in get_json(client, "/api/incidents", fire.dispatcher)]
    assert open_ids == [a["id"]]

    own = events_of(client, fire, a)
    assert {e["incident_id"] for e in own} == {a["id"]}
    assert [e["kind"] for e in own] == ["incident_entered", "linked"]
    assert own[1]["data"] == {"other": b["number"], "kind": "duplicate"}
    b_after = events_of(client, fire, b)
    assert b_before <= {e["id"] for e in b_after}
    assert [e["kind"] for e in b_after] == ["incident_entered", "linked", "cancelled"]

    combined = events_of(client, fire, a, include_linked=True)
    assert {e["id"] for e in combined} == {e["id"] for e in own} | {e["id"] for e in b_after}
    times = [datetime.fromisoformat(e["at"]) for e in combined]
    assert times == sorted(times)


def test_linking_twice_or_to_itself_is_refused(client: TestClient, fire: Staff) -> None:
    a = open_incident(client, fire.call_taker)
    b = open_incident(client, fire.call_taker)
    assert link(client, fire, a, b, "related") == 201
    assert link(client, fire, a, b, "duplicate") == 409
    assert link(client, fire, b, a, "related") == 409
    response = client.post(
        f"/api/incidents/{a['id']}/links",
        json={"other_id": a["id"], "kind": "related"},
        headers=fire.dispatcher,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "other_id"
    # A related link cancels nothing.
    statuses = [i["status"] for i in get_json(client, "/api/incidents", fire.dispatcher)]
    assert statuses == ["new", "new"]


def test_linking_to_another_agencys_incident_is_404(
    client: TestClient, fire: Staff, police: Staff
) -> None:
    ours = open_incident(client, fire.call_taker)
    theirs = open_incident(client, police.call_taker)
    assert link(client, fire, ours, theirs) == 404
    assert get_json(client, f"/api/incidents/{theirs['id']}", police.dispatcher)["status"] == "new"


def test_a_call_is_checked_for_duplicates_before_it_is_saved(
    client: TestClient, fire: Staff
) -> None:
    first = open_incident(client, fire.call_taker, call("FIRE-STRUCTURE", caller_number=NUMBER))
    body = {"nature_code": "FIRE-STRUCTURE", "lat": ORIGIN[0], "lon": ORIGIN[1]}
    response = client.post("/api/incidents/duplicate-check", json=body, headers=fire.call_taker)
    assert response.status_code == 200, response.text
    found = response.json()
    assert ids(found) == [first["id"]]
    assert "same nature" in found[0]["reasons"]
    far = {**body, "lat": north_of(ORIGIN, 5000)[0]}
    assert (
        client.post("/api/incidents/duplicate-check", json=far, headers=fire.call_taker).json()
        == []
    )
    unknown = {**body, "nature_code": "NOPE"}
    refused = client.post("/api/incidents/duplicate-check", json=unknown, headers=fire.call_taker)
    assert refused.status_code == 422
    total = len(get_json(client, "/api/incidents", fire.dispatcher))
    assert total == 1  # checking saved nothing
