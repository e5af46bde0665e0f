"""Who called is protected: kept out of incident views, readable by dispatch roles only,
and every read is audited."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from signalfire.core.runtime import Runtime
from tests.conftest import Clock, World
from tests.incidents.support import (
    Json,
    Staff,
    audit_entries,
    call,
    get_json,
    open_incident,
    staff,
)

NAME = "Maija Meikalainen"
NUMBER = "+358 40 7654321"
READ = "incident.caller_read"


@pytest.fixture
def fire(frozen_clock: Clock, world: World) -> Staff:
    return staff(world, world.agency("FIRE"))


@pytest.fixture
def incident(client: TestClient, fire: Staff) -> Json:
    body = call(caller_number=NUMBER)
    body["caller"]["name"] = NAME
    return open_incident(client, fire.call_taker, body)


def caller_path(incident: Json) -> str:
    return f"/api/incidents/{incident['id']}/caller"


def test_incident_views_do_not_show_the_caller(
    client: TestClient, fire: Staff, incident: Json
) -> None:
    views = [
        client.get(f"/api/incidents/{incident['id']}", headers=fire.dispatcher),
        client.get("/api/incidents", headers=fire.dispatcher),
        client.get("/api/incidents", params={"open_only": False}, headers=fire.analyst),
        client.get(f"/api/incidents/{incident['id']}/timeline", headers=fire.analyst),
        client.get(f"/api/incidents/{incident['id']}/duplicates", headers=fire.analyst),
    ]
    assert [v.status_code for v in views] == [200] * len(views)
    assert views[0].json()["id"] == incident["id"]
    assert [i["id"] for i in views[1].json()] == [incident["id"]]
    for view in views:
        assert NAME not in view.text
        assert "7654321" not in view.text
        assert "caller" not in view.text.lower()


def test_dispatch_roles_read_the_caller(
    client: TestClient, fire: Staff, incident: Json, frozen_clock: Clock
) -> None:
    for headers in (fire.call_taker, fire.dispatcher, fire.supervisor):
        caller = get_json(client, caller_path(incident), headers)
        assert caller["name"] == NAME
        assert caller["number"] == NUMBER
        assert datetime.fromisoformat(caller["received_at"]) == frozen_clock.now


def test_analysts_never_read_the_caller(
    client: TestClient, runtime: Runtime, fire: Staff, incident: Json
) -> None:
    response = client.get(caller_path(incident), headers=fire.analyst)
    assert response.status_code == 403
    assert NAME not in response.text
    assert audit_entries(runtime, READ) == []
    denied = audit_entries(runtime, "access.denied")
    assert [(e.actor_username, e.outcome) for e in denied] == [("fire.analyst", "denied")]
    # Nor is asking about an incident that does not exist.
    missing = client.get(f"/api/incidents/{incident['id'] + 99}/caller", headers=fire.dispatcher)
    assert missing.status_code == 404
    assert audit_entries(runtime, READ) == []


def test_every_read_is_audited(
    client: TestClient, runtime: Runtime, fire: Staff, incident: Json
) -> None:
    readers = [("fire.dispatcher", fire.dispatcher), ("fire.call_taker", fire.call_taker)]
    readers.append(("fire.dispatcher", fire.dispatcher))
    for _username, headers in readers:
        assert client.get(caller_path(incident), headers=headers).status_code == 200
    entries = audit_entries(runtime, READ)
    assert [e.actor_username for e in entries] == [username for username, _h in readers]
    for entry in entries:
        assert entry.outcome == "allowed"
        assert entry.record_type == "incident"
        assert entry.record_id == str(incident["id"])
        assert entry.case_number == incident["number"]
        assert entry.agency_id == fire.agency_id
        assert NAME not in entry.details
        assert "7654321" not in entry.details


def test_a_call_without_caller_details_reads_as_none_and_is_audited(
    client: TestClient, runtime: Runtime, fire: Staff
) -> None:
    incident = open_incident(client, fire.call_taker, call("FIRE-ALARM", source="alarm"))
    assert get_json(client, caller_path(incident), fire.dispatcher) is None
    assert [e.record_id for e in audit_entries(runtime, READ)] == [str(incident["id"])]
