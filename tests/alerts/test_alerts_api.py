"""The alerts inbox: devices report, dispatchers promote to an incident or dismiss."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock, World
from tests.units import support
from tests.units.support import Crew, Json, ok


@pytest.fixture
def fire(world: World, frozen_clock: Clock) -> Crew:
    return support.crew(world, "FIRE")


def alarm(**extra: Any) -> Json:
    return {
        "source": "alarm",
        "source_ref": "panel-0042",
        "kind": "fire_alarm",
        "title": "Fire alarm, zone 3",
        "lat": 60.1655,
        "lon": 24.941,
        "address": "Bulevardi 6",
        "occurred_at": "2026-11-26T11:59:30+00:00",
        **extra,
    }


def test_an_alarm_is_promoted_to_an_incident_at_its_place(client: TestClient, fire: Crew) -> None:
    made = ok(client.post("/api/alerts", json=alarm(), headers=fire.terminal), 201)
    assert made["status"] == "new"
    assert made["suggested_nature"] == "FIRE-ALARM"
    inbox = ok(client.get("/api/alerts", headers=fire.dispatcher))
    assert [a["id"] for a in inbox] == [made["id"]]
    incident = ok(
        client.post(
            f"/api/alerts/{made['id']}/promote",
            json={"nature_code": "FIRE-ALARM"},
            headers=fire.dispatcher,
        ),
        201,
    )
    assert (incident["lat"], incident["lon"], incident["address"]) == (
        60.1655,
        24.941,
        "Bulevardi 6",
    )
    assert incident["nature_code"] == "FIRE-ALARM"
    assert "panel-0042" in incident["summary"]
    assert ok(client.get("/api/alerts", headers=fire.dispatcher)) == []
    handled = ok(client.get("/api/alerts?status=promoted", headers=fire.dispatcher))
    assert handled[0]["incident_id"] == incident["id"]
    again = client.post(
        f"/api/alerts/{made['id']}/promote",
        json={"nature_code": "FIRE-ALARM"},
        headers=fire.dispatcher,
    )
    assert again.status_code == 409


def test_a_dismissal_keeps_the_reason_and_other_agencies_see_nothing(
    client: TestClient, fire: Crew, world: World
) -> None:
    made = ok(client.post("/api/alerts", json=alarm(kind="intrusion"), headers=fire.terminal), 201)
    police = support.crew(world, "POLICE", "police")
    assert ok(client.get("/api/alerts", headers=police.dispatcher)) == []
    hidden = client.post(
        f"/api/alerts/{made['id']}/dismiss", json={"reason": "test"}, headers=police.dispatcher
    )
    assert hidden.status_code == 404
    dismissed = ok(
        client.post(
            f"/api/alerts/{made['id']}/dismiss",
            json={"reason": "keyholder on site, false alarm"},
            headers=fire.dispatcher,
        )
    )
    assert (dismissed["status"], dismissed["note"]) == (
        "dismissed",
        "keyholder on site, false alarm",
    )


def test_bad_alerts_are_refused_by_field(client: TestClient, fire: Crew) -> None:
    response = client.post(
        "/api/alerts", json=alarm(kind="Fire Alarm!", lat=91), headers=fire.terminal
    )
    assert response.status_code == 422
    fields = {e["field"].split(".")[-1] for e in response.json()["errors"]}
    assert {"kind", "lat"} <= fields
    dispatcher_cannot_report = client.post("/api/alerts", json=alarm(), headers=fire.dispatcher)
    assert dispatcher_cannot_report.status_code == 403
