"""The live stream: snapshot, numbered deltas, scoping, and resume without loss."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from signalfire.api.app import create_app
from signalfire.api.live import LiveHub
from signalfire.core.auth.permissions import Role
from signalfire.core.runtime import Runtime
from tests.conftest import PASSWORD, World, bearer
from tests.units.support import ok, unit


@pytest.fixture
def tokens(world: World) -> dict[str, str]:
    fire, police = world.agency("FIRE"), world.agency("POLICE", kind="police")
    made = {
        "fire": world.user("fire.disp", fire, [Role.DISPATCHER], password=None),
        "police": world.user("police.disp", police, [Role.DISPATCHER], password=None),
    }
    return {name: world.token(user) for name, user in made.items()}


def open_incident(client: TestClient, token: str, n: int) -> str:
    body = {
        "nature_code": "FIRE-SMOKE",
        "location": {"lat": 60.17 + n / 100, "lon": 24.94, "source": "manual"},
    }
    response = client.post("/api/incidents", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    number: str = response.json()["incident"]["number"]
    return number


def next_delta(socket: WebSocketTestSession, topic: str) -> dict[str, Any]:
    """The next delta of ``topic`` (other topics may interleave)."""
    while True:
        message: dict[str, Any] = socket.receive_json()
        assert message["type"] == "delta"
        if message["topic"] == topic:
            return message


def next_incident_delta(socket: WebSocketTestSession) -> dict[str, Any]:
    """The next delta about an incident."""
    return next_delta(socket, "incident.changed")


def raise_alert(client: TestClient, token: str, panel: str) -> int:
    body = {
        "source": "alarm",
        "source_ref": panel,
        "kind": "fire_alarm",
        "title": f"Fire alarm, {panel}",
        "lat": 60.1655,
        "lon": 24.941,
        "occurred_at": "2026-11-26T11:59:30+00:00",
    }
    response = client.post("/api/alerts", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    alert_id: int = response.json()["id"]
    return alert_id


def test_snapshot_then_deltas_in_order(client: TestClient, tokens: dict[str, str]) -> None:
    first = open_incident(client, tokens["fire"], 0)
    with client.websocket_connect(f"/api/live?token={tokens['fire']}") as socket:
        snapshot = socket.receive_json()
        assert snapshot["type"] == "snapshot"
        assert [i["number"] for i in snapshot["incidents"]] == [first]
        second = open_incident(client, tokens["fire"], 1)
        delta = next_incident_delta(socket)
        assert delta["data"]["incident"]["number"] == second
        assert delta["seq"] > snapshot["seq"]


def test_another_agencys_changes_are_not_sent(client: TestClient, tokens: dict[str, str]) -> None:
    open_incident(client, tokens["police"], 0)
    with client.websocket_connect(f"/api/live?token={tokens['fire']}") as socket:
        assert socket.receive_json()["incidents"] == []
        open_incident(client, tokens["police"], 1)
        own = open_incident(client, tokens["fire"], 2)
        delta = next_incident_delta(socket)
        assert delta["data"]["incident"]["number"] == own


def test_the_snapshot_holds_the_alerts_inbox_and_new_alerts_follow(
    client: TestClient, world: World
) -> None:
    ems, other = world.agency("EMS", kind="ems"), world.agency("RESCUE")
    viewer = world.token(world.user("ems.disp", ems, [Role.DISPATCHER], password=None))
    panel = world.token(world.user("ems.panel", ems, [Role.UNIT_TERMINAL], password=None))
    stranger = world.token(world.user("rescue.panel", other, [Role.UNIT_TERMINAL], password=None))
    waiting = raise_alert(client, panel, "panel-1")
    raise_alert(client, stranger, "panel-2")
    with client.websocket_connect(f"/api/live?token={viewer}") as socket:
        snapshot = socket.receive_json()
        assert [alert["id"] for alert in snapshot["alerts"]] == [waiting]
        raise_alert(client, stranger, "panel-3")
        fresh = raise_alert(client, panel, "panel-4")
        delta = next_delta(socket, "alert.changed")
        assert (delta["data"]["alert"]["id"], delta["data"]["change"]) == (fresh, "raised")
        assert delta["seq"] > snapshot["seq"]


def test_a_position_delta_is_the_report_as_sent_with_who_may_see_it(
    client: TestClient, world: World
) -> None:
    fire = world.agency("AVL")
    viewer = world.token(world.user("avl.disp", fire, [Role.DISPATCHER], password=None))
    boss = world.token(world.user("avl.boss", fire, [Role.SUPERVISOR], password=None))
    terminal = world.token(world.user("avl.term", fire, [Role.UNIT_TERMINAL], password=None))
    engine = unit(client, bearer(boss), "E1")
    sent = (datetime.now(UTC) - timedelta(minutes=1)).astimezone(timezone(timedelta(hours=2)))
    report = {"unit_id": engine["id"], "lat": 60.17, "lon": 24.94, "heading": 90.0, "speed": 12.5}
    with client.websocket_connect(f"/api/live?token={viewer}") as socket:
        assert socket.receive_json()["type"] == "snapshot"
        body = report | {"time": sent.isoformat()}
        ok(client.post("/api/positions", json=body, headers=bearer(terminal)))
        delta = next_delta(socket, "unit.moved")
    assert delta["data"] == {
        "unit_id": engine["id"],
        "agency_id": fire.id,
        "shared_with": [],
        "lat": 60.17,
        "lon": 24.94,
        "heading": 90.0,
        "speed": 12.5,
        "time": sent.isoformat(),
    }


def test_resume_after_a_dropped_connection_loses_and_repeats_nothing(
    client: TestClient, tokens: dict[str, str]
) -> None:
    url = f"/api/live?token={tokens['fire']}"
    seen: list[tuple[int, str]] = []
    with client.websocket_connect(url) as socket:
        snapshot = socket.receive_json()
        epoch = snapshot["epoch"]
        open_incident(client, tokens["fire"], 0)
        delta = next_incident_delta(socket)
        seen.append((delta["seq"], delta["data"]["incident"]["number"]))
    # Dropped. Changes keep happening meanwhile.
    missed = [open_incident(client, tokens["fire"], n) for n in range(1, 4)]
    with client.websocket_connect(f"{url}&since={seen[-1][0]}&epoch={epoch}") as socket:
        assert socket.receive_json() == {"type": "resume", "epoch": epoch, "since": seen[-1][0]}
        for _ in missed:
            delta = next_incident_delta(socket)
            seen.append((delta["seq"], delta["data"]["incident"]["number"]))
        latest = open_incident(client, tokens["fire"], 9)
        delta = next_incident_delta(socket)
        seen.append((delta["seq"], delta["data"]["incident"]["number"]))
    seqs = [seq for seq, _ in seen]
    assert seqs == sorted(set(seqs))  # strictly increasing: no repeats
    assert [number for _, number in seen][1:] == [*missed, latest]  # nothing lost


def test_resume_with_every_seq_is_gapless(client: TestClient, tokens: dict[str, str]) -> None:
    url = f"/api/live?token={tokens['fire']}"
    with client.websocket_connect(url) as socket:
        snapshot = socket.receive_json()
    for n in range(3):
        open_incident(client, tokens["fire"], n)
    with client.websocket_connect(f"{url}&since={snapshot['seq']}&epoch={snapshot['epoch']}") as s:
        assert s.receive_json()["type"] == "resume"
        seqs = [s.receive_json()["seq"] for _ in range(3)]
    assert seqs == list(range(snapshot["seq"] + 1, snapshot["seq"] + 4))


def test_a_client_too_far_behind_or_from_another_epoch_gets_a_snapshot(
    runtime: Runtime, tokens: dict[str, str]
) -> None:
    app = create_app(runtime)
    hub = app.state.live_hub = LiveHub(runtime.bus, buffer_size=2)
    url = f"/api/live?token={tokens['fire']}"
    with TestClient(app) as client:
        with client.websocket_connect(url) as socket:
            start = socket.receive_json()
        for n in range(4):
            open_incident(client, tokens["fire"], n)
        deadline = time.monotonic() + 5
        while hub.seq < start["seq"] + 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        kinds = {}
        for name, query in {
            "too far behind": f"&since={start['seq']}&epoch={hub.epoch}",
            "other epoch": f"&since={hub.seq - 1}&epoch=not-this-one",
            "recent": f"&since={hub.seq - 1}&epoch={hub.epoch}",
        }.items():
            with client.websocket_connect(url + query) as socket:
                kinds[name] = socket.receive_json()["type"]
    assert kinds == {"too far behind": "snapshot", "other epoch": "snapshot", "recent": "resume"}


def test_a_bad_token_closes_with_4401(client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/api/live?token=sft_nonsense") as socket,
    ):
        socket.receive_json()
    assert closed.value.code == 4401


def test_the_stream_closes_once_the_session_ends(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from signalfire.api import live

    monkeypatch.setattr(live, "RECHECK_SECONDS", 0.05)
    agency = world.agency("EMS", kind="ems")
    world.user("e.medic", agency, [Role.DISPATCHER])
    token = client.post(
        "/api/auth/login", json={"username": "e.medic", "password": PASSWORD}
    ).json()["token"]
    with client.websocket_connect(f"/api/live?token={token}") as socket:
        assert socket.receive_json()["type"] == "snapshot"
        assert client.post("/api/auth/logout", headers=bearer(token)).status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4401


def test_a_hub_restart_starts_a_new_epoch_and_drops_clients() -> None:
    from signalfire.core.events import InProcessBus

    hub = LiveHub(InProcessBus())
    client, _backlog = hub.join(agency_id=1, since=None)
    before = hub.epoch
    hub.restart()
    assert hub.epoch != before
    assert client.overflowed
