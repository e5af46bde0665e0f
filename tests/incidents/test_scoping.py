"""Agencies see only their own incidents, and those shared with them on mutual aid."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock, World
from tests.incidents.support import (
    ORIGIN,
    Json,
    Staff,
    call,
    create_unit,
    dispatch,
    get_json,
    intake,
    north_of,
    open_incident,
    staff,
)


@pytest.fixture
def fire(frozen_clock: Clock, world: World) -> Staff:
    return staff(world, world.agency("FIRE"))


@pytest.fixture
def rescue(frozen_clock: Clock, world: World) -> Staff:
    return staff(world, world.agency("RESCUE"))


@pytest.fixture
def theirs(client: TestClient, fire: Staff) -> Json:
    """An incident of the fire agency, with a caller and a note."""
    incident = open_incident(client, fire.call_taker, call(caller_number="+358 9 123456"))
    response = client.post(
        f"/api/incidents/{incident['id']}/notes", json={"text": "ladder"}, headers=fire.dispatcher
    )
    assert response.status_code == 201
    return incident


def listed(client: TestClient, headers: dict[str, str]) -> list[int]:
    return [i["id"] for i in get_json(client, "/api/incidents", headers, open_only=False)]


def reads(incident_id: int) -> list[str]:
    return [
        f"/api/incidents/{incident_id}",
        f"/api/incidents/{incident_id}/duplicates",
        f"/api/incidents/{incident_id}/caller",
        f"/api/incidents/{incident_id}/notes",
        f"/api/incidents/{incident_id}/locations",
        f"/api/incidents/{incident_id}/timeline",
        f"/api/incidents/{incident_id}/intervals",
    ]


def test_another_agencys_incident_looks_absent(
    client: TestClient, fire: Staff, rescue: Staff, theirs: Json
) -> None:
    for path in reads(theirs["id"]):
        response = client.get(path, headers=rescue.supervisor)
        assert response.status_code == 404, path
        assert theirs["number"] not in response.text
    assert theirs["id"] not in listed(client, rescue.supervisor)
    assert theirs["id"] not in listed(client, rescue.analyst)


def test_another_agencys_incident_cannot_be_changed(
    client: TestClient, fire: Staff, rescue: Staff, theirs: Json
) -> None:
    base = f"/api/incidents/{theirs['id']}"
    attempts = [
        client.patch(base, json={"summary": "mine now"}, headers=rescue.dispatcher),
        client.patch(base, json={"status": "pending"}, headers=rescue.dispatcher),
        client.post(f"{base}/notes", json={"text": "hello"}, headers=rescue.dispatcher),
        client.post(
            f"{base}/locations", json={"address": "Elsewhere 1"}, headers=rescue.dispatcher
        ),
        client.post(f"{base}/close", json={"disposition": "x"}, headers=rescue.dispatcher),
    ]
    assert [a.status_code for a in attempts] == [404] * len(attempts)
    after = get_json(client, base, fire.dispatcher)
    assert (after["summary"], after["status"], after["version"]) == ("", "new", theirs["version"])
    assert after["address"] is None
    assert [n["text"] for n in get_json(client, f"{base}/notes", fire.dispatcher)] == ["ladder"]


def test_another_agencys_incident_is_no_duplicate_candidate(
    client: TestClient, fire: Staff, rescue: Staff, theirs: Json
) -> None:
    mine = intake(client, rescue.call_taker, call(caller_number="+358 9 123456"))
    assert mine["duplicates"] == []
    path = f"/api/incidents/{mine['incident']['id']}/duplicates"
    assert get_json(client, path, rescue.dispatcher) == []


def test_a_shared_incident_becomes_visible_to_the_helping_agency(
    client: TestClient, fire: Staff, rescue: Staff, theirs: Json
) -> None:
    other = open_incident(client, fire.call_taker, call(at=north_of(ORIGIN, 40)))
    unit = create_unit(client, rescue.admin, "R31", shared_with=[fire.agency_id])
    assert theirs["id"] not in listed(client, rescue.dispatcher)

    dispatch(client, fire.dispatcher, theirs["id"], unit)

    assert theirs["id"] in listed(client, rescue.dispatcher)
    shared = get_json(client, f"/api/incidents/{theirs['id']}", rescue.dispatcher)
    assert (shared["status"], shared["shared_with"]) == ("dispatched", [rescue.agency_id])
    notes = get_json(client, f"/api/incidents/{theirs['id']}/notes", rescue.dispatcher)
    assert [n["text"] for n in notes] == ["ladder"]
    # Only that incident: the fire agency's other one stays hidden.
    assert other["id"] not in listed(client, rescue.dispatcher)
    assert client.get(f"/api/incidents/{other['id']}", headers=rescue.dispatcher).status_code == 404


def test_a_shared_incident_does_not_reveal_its_agencys_other_incidents(
    client: TestClient, fire: Staff, rescue: Staff, theirs: Json
) -> None:
    other = open_incident(client, fire.call_taker, call(at=north_of(ORIGIN, 40)))
    unit = create_unit(client, rescue.admin, "R31", shared_with=[fire.agency_id])
    dispatch(client, fire.dispatcher, theirs["id"], unit)
    path = f"/api/incidents/{theirs['id']}/duplicates"
    assert [c["incident_id"] for c in get_json(client, path, fire.dispatcher)] == [other["id"]]
    assert get_json(client, path, rescue.dispatcher) == []


def test_a_helping_agency_sees_but_does_not_change_the_owners_incident(
    client: TestClient, fire: Staff, rescue: Staff
) -> None:
    owners = open_incident(client, fire.call_taker)
    unit = create_unit(client, rescue.admin, "R41", shared_with=[fire.agency_id])
    dispatch(client, fire.dispatcher, owners["id"], unit)
    base = f"/api/incidents/{owners['id']}"
    attempts = [
        client.patch(base, json={"priority": 5}, headers=rescue.dispatcher),
        client.post(
            f"{base}/locations",
            json={"lat": 60.2, "lon": 24.9, "make_primary": True},
            headers=rescue.dispatcher,
        ),
        client.post(
            f"{base}/cancel", json={"disposition": "false_alarm"}, headers=rescue.dispatcher
        ),
        client.post(f"{base}/close", json={"disposition": "done"}, headers=rescue.dispatcher),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403, 403]
    note = client.post(
        f"{base}/notes", json={"text": "R41 on scene soon"}, headers=rescue.dispatcher
    )
    assert note.status_code == 201
    after = get_json(client, base, fire.dispatcher)
    assert (after["status"], after["priority"]) == ("dispatched", owners["priority"])


def test_a_link_across_agencies_does_not_leak_the_other_timeline(
    client: TestClient, fire: Staff, rescue: Staff, theirs: Json
) -> None:
    own = open_incident(client, rescue.call_taker)
    unit = create_unit(client, rescue.admin, "R31", shared_with=[fire.agency_id])
    dispatch(client, fire.dispatcher, theirs["id"], unit)
    on_theirs = client.post(
        f"/api/incidents/{theirs['id']}/links",
        json={"other_id": own["id"], "kind": "related"},
        headers=rescue.dispatcher,
    )
    assert on_theirs.status_code == 403  # a helper does not change the owner's incident
    response = client.post(
        f"/api/incidents/{own['id']}/links",
        json={"other_id": theirs["id"], "kind": "related"},
        headers=rescue.dispatcher,
    )
    assert response.status_code == 201, response.text
    path = f"/api/incidents/{theirs['id']}/timeline"
    seen_by_owner = get_json(client, path, fire.dispatcher, include_linked=True)
    assert {e["incident_id"] for e in seen_by_owner} == {theirs["id"]}
    seen_by_helper = get_json(client, path, rescue.dispatcher, include_linked=True)
    assert {e["incident_id"] for e in seen_by_helper} == {theirs["id"], own["id"]}
