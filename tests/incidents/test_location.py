"""Locations: a caller's device fix is never silently replaced; other sources are."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock, World
from tests.incidents.support import (
    ORIGIN,
    Json,
    Staff,
    call,
    get_json,
    north_of,
    open_incident,
    staff,
)

GEOCODED = north_of(ORIGIN, 180)
ADDRESS = "Unioninkatu 29, Helsinki"


@pytest.fixture
def fire(frozen_clock: Clock, world: World) -> Staff:
    return staff(world, world.agency("FIRE"))


def report(
    client: TestClient,
    desk: Staff,
    incident: Json,
    source: str,
    point: tuple[float, float],
    **extra: object,
) -> Json:
    body = {"lat": point[0], "lon": point[1], "source": source, **extra}
    response = client.post(
        f"/api/incidents/{incident['id']}/locations", json=body, headers=desk.call_taker
    )
    assert response.status_code == 201, response.text
    location: Json = response.json()
    return location


def where(client: TestClient, desk: Staff, incident: Json) -> tuple[float, float, str]:
    current = get_json(client, f"/api/incidents/{incident['id']}", desk.dispatcher)
    return current["lat"], current["lon"], current["location_source"]


def reported(client: TestClient, desk: Staff, incident: Json) -> list[tuple[str, bool]]:
    rows = get_json(client, f"/api/incidents/{incident['id']}/locations", desk.dispatcher)
    return [(row["source"], row["is_primary"]) for row in rows]


def location_changes(client: TestClient, desk: Staff, incident: Json) -> list[Json]:
    events = get_json(client, f"/api/incidents/{incident['id']}/timeline", desk.dispatcher)
    return [e["data"] for e in events if e["kind"] == "location_changed"]


def test_a_geocoded_location_does_not_replace_the_callers_device(
    client: TestClient, fire: Staff
) -> None:
    incident = open_incident(client, fire.call_taker, call(source="caller_device"))
    added = report(client, fire, incident, "geocoded", GEOCODED, address=ADDRESS)
    assert added["is_primary"] is False
    assert where(client, fire, incident) == (*ORIGIN, "caller_device")
    assert reported(client, fire, incident) == [("caller_device", True), ("geocoded", False)]
    rows = get_json(client, f"/api/incidents/{incident['id']}/locations", fire.dispatcher)
    assert (rows[1]["lat"], rows[1]["lon"], rows[1]["address"]) == (*GEOCODED, ADDRESS)
    assert [c["primary"] for c in location_changes(client, fire, incident)] == [False]


def test_make_primary_replaces_the_callers_device(client: TestClient, fire: Staff) -> None:
    incident = open_incident(client, fire.call_taker, call(source="caller_device"))
    added = report(client, fire, incident, "geocoded", GEOCODED, make_primary=True)
    assert added["is_primary"] is True
    assert where(client, fire, incident) == (*GEOCODED, "geocoded")
    assert reported(client, fire, incident) == [("caller_device", False), ("geocoded", True)]
    assert [c["primary"] for c in location_changes(client, fire, incident)] == [True]


def test_a_manual_location_replaces_a_geocoded_one(client: TestClient, fire: Staff) -> None:
    incident = open_incident(client, fire.call_taker, call(source="geocoded"))
    manual = north_of(ORIGIN, -60)
    assert report(client, fire, incident, "manual", manual)["is_primary"] is True
    assert where(client, fire, incident) == (*manual, "manual")
    assert reported(client, fire, incident) == [("geocoded", False), ("manual", True)]


def test_a_newer_device_fix_replaces_the_older_one(client: TestClient, fire: Staff) -> None:
    incident = open_incident(client, fire.call_taker, call(source="caller_device"))
    fix = north_of(ORIGIN, 25)
    report(client, fire, incident, "caller_device", fix, accuracy_m=8)
    assert where(client, fire, incident) == (*fix, "caller_device")
    current = get_json(client, f"/api/incidents/{incident['id']}", fire.dispatcher)
    assert current["location_accuracy_m"] == 8
    assert reported(client, fire, incident) == [("caller_device", False), ("caller_device", True)]


def test_after_a_kept_device_fix_later_sources_still_defer_to_it(
    client: TestClient, fire: Staff
) -> None:
    incident = open_incident(client, fire.call_taker, call(source="caller_device"))
    report(client, fire, incident, "geocoded", GEOCODED)
    report(client, fire, incident, "manual", north_of(ORIGIN, 90))
    assert where(client, fire, incident) == (*ORIGIN, "caller_device")
    primaries = [primary for _source, primary in reported(client, fire, incident)]
    assert primaries == [True, False, False]
