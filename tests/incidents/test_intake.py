"""Intake over HTTP: numbering, the nature catalogue, priority, location, timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from signalfire.incidents.natures import DEFAULT_CATALOGUE
from tests.conftest import Clock, World
from tests.incidents.support import (
    Json,
    Staff,
    call,
    error_fields,
    get_json,
    intake,
    open_incident,
    staff,
)


@pytest.fixture
def fire(frozen_clock: Clock, world: World) -> Staff:
    return staff(world, world.agency("FIRE"))


@pytest.fixture
def police(frozen_clock: Clock, world: World) -> Staff:
    return staff(world, world.agency("POLICE", kind="police"))


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def timeline(client: TestClient, desk: Staff, incident_id: int) -> list[Json]:
    events: list[Json] = get_json(client, f"/api/incidents/{incident_id}/timeline", desk.dispatcher)
    return events


def test_numbers_count_up_per_agency_and_year(
    client: TestClient, fire: Staff, police: Staff
) -> None:
    numbers = [
        open_incident(client, fire.call_taker)["number"],
        open_incident(client, fire.call_taker)["number"],
        open_incident(client, police.call_taker)["number"],
        open_incident(client, fire.call_taker)["number"],
        open_incident(client, police.call_taker)["number"],
    ]
    assert numbers == ["2026-000001", "2026-000002", "2026-000001", "2026-000003", "2026-000002"]


def test_catalogue_lists_the_defaults(client: TestClient, fire: Staff) -> None:
    natures = {n["code"]: n for n in get_json(client, "/api/natures", fire.call_taker)}
    assert set(natures) == {n.code for n in DEFAULT_CATALOGUE}
    assert natures["FIRE-STRUCTURE"] == {
        "code": "FIRE-STRUCTURE",
        "name": "Structure fire",
        "discipline": "fire",
        "priority": 1,
        "custom": False,
    }
    assert natures["LAW-BURGLARY"]["priority"] == 3
    assert not any(n["custom"] for n in natures.values())


def test_an_agency_nature_is_usable_by_that_agency_only(
    client: TestClient, fire: Staff, police: Staff
) -> None:
    sauna = {"code": "FIRE-SAUNA", "name": "Sauna fire", "discipline": "fire", "priority": 2}
    assert client.post("/api/natures", json=sauna, headers=fire.call_taker).status_code == 403
    response = client.post("/api/natures", json=sauna, headers=fire.supervisor)
    assert response.status_code == 201, response.text
    assert response.json() == {**sauna, "custom": True}
    dog = {"code": "POLICE-DOG", "name": "Police dog bite", "discipline": "law", "priority": 3}
    assert client.post("/api/natures", json=dog, headers=police.admin).status_code == 201

    fire_codes = {n["code"]: n for n in get_json(client, "/api/natures", fire.call_taker)}
    police_codes = {n["code"] for n in get_json(client, "/api/natures", police.call_taker)}
    assert fire_codes["FIRE-SAUNA"]["custom"] is True
    assert "POLICE-DOG" not in fire_codes
    assert "FIRE-SAUNA" not in police_codes
    assert "POLICE-DOG" in police_codes

    incident = open_incident(client, fire.call_taker, call("FIRE-SAUNA"))
    assert (incident["nature_code"], incident["priority"]) == ("FIRE-SAUNA", 2)
    refused = client.post("/api/incidents", json=call("FIRE-SAUNA"), headers=police.call_taker)
    assert refused.status_code == 422
    assert refused.json()["field"] == "nature_code"


def test_unknown_nature_is_refused_naming_the_field(client: TestClient, fire: Staff) -> None:
    response = client.post("/api/incidents", json=call("FIRE-DRAGON"), headers=fire.call_taker)
    assert response.status_code == 422
    assert response.json()["field"] == "nature_code"
    assert "FIRE-DRAGON" in response.json()["detail"]
    assert get_json(client, "/api/incidents", fire.dispatcher) == []


PRIORITY_CASES = [
    ("LAW-BURGLARY", [], 3),
    ("LAW-BURGLARY", ["weapons", "in_progress"], 1),
    ("LAW-BURGLARY", ["weapons", "weapons"], 2),  # a modifier counts once
    ("LAW-THEFT", ["no_injuries"], 5),
    ("ANIMAL", ["delayed_report", "caller_safe"], 5),  # never below 5
    ("MED-CHEST-PAIN", ["child_involved", "multiple_patients"], 1),  # never above 1
    ("MED-FALL", ["caller_safe", "child_involved", "delayed_report"], 4),
]


def test_priority_is_the_nature_default_moved_by_modifiers(client: TestClient, fire: Staff) -> None:
    got = [
        open_incident(client, fire.call_taker, call(nature, modifiers=modifiers))["priority"]
        for nature, modifiers, _expected in PRIORITY_CASES
    ]
    assert got == [expected for _n, _m, expected in PRIORITY_CASES]


def test_unknown_modifier_is_refused_naming_the_field(client: TestClient, fire: Staff) -> None:
    body = call("LAW-BURGLARY", modifiers=["weapons", "zombies"])
    response = client.post("/api/incidents", json=body, headers=fire.call_taker)
    assert response.status_code == 422
    assert response.json()["field"] == "modifiers"
    assert "zombies" in response.json()["detail"]
    assert get_json(client, "/api/incidents", fire.dispatcher) == []


BAD_LOCATIONS: list[Json] = [
    {"source": "manual"},  # nothing
    {"lat": 60.17, "source": "manual"},  # latitude without longitude
    {"lon": 24.95, "address": "Aleksanterinkatu 1"},  # longitude without latitude
    {"address": ""},
    {"lat": 91.0, "lon": 24.95},
]


def test_location_needs_coordinates_or_an_address(client: TestClient, fire: Staff) -> None:
    for location in BAD_LOCATIONS:
        body = {"nature_code": "FIRE-STRUCTURE", "location": location}
        response = client.post("/api/incidents", json=body, headers=fire.call_taker)
        assert response.status_code == 422, location
        assert any(field.startswith("body.location") for field in error_fields(response))
    assert get_json(client, "/api/incidents", fire.dispatcher) == []
    body = {"nature_code": "FIRE-STRUCTURE", "location": {"address": "Aleksanterinkatu 1"}}
    incident = open_incident(client, fire.call_taker, body)
    assert (incident["lat"], incident["lon"]) == (None, None)
    assert incident["address"] == "Aleksanterinkatu 1"
    assert incident["location_source"] == "manual"


def test_timeline_records_the_call_with_its_times_and_source(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    received = frozen_clock.now - timedelta(seconds=40)
    answered = frozen_clock.now - timedelta(seconds=31)
    body = call(
        call_received_at=received.isoformat(),
        call_answered_at=answered.isoformat(),
        time_source="telephony",
    )
    incident = open_incident(client, fire.call_taker, body)
    events = timeline(client, fire, incident["id"])
    assert [(e["kind"], at(e["at"]), e["source"]) for e in events] == [
        ("call_received", received, "telephony"),
        ("call_answered", answered, "telephony"),
        ("incident_entered", frozen_clock.now, "system"),
    ]
    assert events[2]["data"] == {"nature": "FIRE-STRUCTURE", "priority": 1}
    assert all(e["incident_id"] == incident["id"] for e in events)
    # Without call times only the entry is recorded.
    bare = open_incident(client, fire.call_taker, call(source="caller_device"))
    events = timeline(client, fire, bare["id"])
    assert [(e["kind"], at(e["at"])) for e in events] == [("incident_entered", frozen_clock.now)]
    assert at(bare["created_at"]) == frozen_clock.now


def test_status_starts_new_and_can_be_queued_as_pending(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    incident = open_incident(client, fire.call_taker)
    assert incident["status"] == "new"
    frozen_clock.advance(seconds=20)
    path = f"/api/incidents/{incident['id']}"
    response = client.patch(path, json={"status": "pending"}, headers=fire.call_taker)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    assert get_json(client, path, fire.analyst)["status"] == "pending"
    changes = [e for e in timeline(client, fire, incident["id"]) if e["kind"] == "status_changed"]
    assert len(changes) == 1
    assert changes[0]["data"] == {"from": "new", "to": "pending"}
    assert at(changes[0]["at"]) == frozen_clock.now
    refused = client.patch(path, json={"status": "closed"}, headers=fire.call_taker)
    assert refused.status_code == 422
    assert get_json(client, path, fire.call_taker)["status"] == "pending"


def test_a_stale_version_is_refused(client: TestClient, fire: Staff) -> None:
    incident = open_incident(client, fire.call_taker)
    path = f"/api/incidents/{incident['id']}"
    first = client.patch(
        path,
        json={"summary": "smoke seen", "version": incident["version"]},
        headers=fire.dispatcher,
    )
    assert first.status_code == 200, first.text
    assert first.json()["version"] > incident["version"]
    stale = client.patch(
        path,
        json={"summary": "overwritten", "version": incident["version"]},
        headers=fire.call_taker,
    )
    assert stale.status_code == 409
    current = get_json(client, path, fire.call_taker)
    assert current["summary"] == "smoke seen"
    assert current["version"] == first.json()["version"]
    fresh = client.patch(
        path, json={"summary": "flames", "version": current["version"]}, headers=fire.call_taker
    )
    assert fresh.status_code == 200
    assert fresh.json()["summary"] == "flames"


def test_a_priority_override_survives_other_edits(client: TestClient, fire: Staff) -> None:
    incident = open_incident(client, fire.call_taker, call("LAW-BURGLARY"))
    path = f"/api/incidents/{incident['id']}"
    assert client.patch(path, json={"priority": 1}, headers=fire.dispatcher).json()["priority"] == 1
    edited = client.patch(path, json={"summary": "two suspects"}, headers=fire.dispatcher)
    assert edited.status_code == 200
    assert edited.json()["priority"] == 1
    requeued = client.patch(path, json={"modifiers": ["caller_safe"]}, headers=fire.dispatcher)
    assert requeued.json()["priority"] == 4
    # An override does not let an unknown modifier in.
    body = {"modifiers": ["zombies"], "priority": 2}
    response = client.patch(path, json=body, headers=fire.dispatcher)
    assert response.status_code == 422
    assert response.json()["field"] == "modifiers"
    stored = get_json(client, path, fire.dispatcher)
    assert (stored["modifiers"], stored["priority"]) == (["caller_safe"], 4)


def test_intake_answers_with_the_stored_incident(client: TestClient, fire: Staff) -> None:
    result = intake(client, fire.call_taker, call("FIRE-VEHICLE", summary="car on fire"))
    assert result["duplicates"] == []
    incident = result["incident"]
    stored = get_json(client, f"/api/incidents/{incident['id']}", fire.dispatcher)
    assert stored == incident
    assert (stored["agency_id"], stored["summary"], stored["source"]) == (
        fire.agency_id,
        "car on fire",
        "call",
    )
