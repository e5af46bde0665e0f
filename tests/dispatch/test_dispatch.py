"""Dispatch over HTTP: run cards, sending units, following them, closing incidents."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.errors import Conflict
from signalfire.core.runtime import Runtime
from signalfire.dispatch import service as dispatch
from signalfire.dispatch.models import Assignment
from signalfire.units.models import Unit
from signalfire.units.status import TRANSITIONS, UnitStatus
from tests.conftest import Clock, World, bearer
from tests.units import support
from tests.units.support import Crew, Headers, Json, ok

T = TypeVar("T")


@dataclass(frozen=True)
class Fleet:
    crew: Crew
    engine1: int
    engine2: int
    medic: int


@pytest.fixture
def fire(world: World) -> Crew:
    return support.crew(world, "FIRE")


@pytest.fixture
def fleet(client: TestClient, fire: Crew) -> Fleet:
    home = support.station(client, fire.supervisor)
    made = {
        callsign: support.unit(
            client, fire.supervisor, callsign, unit_type=kind, station_id=home["id"]
        )["id"]
        for callsign, kind in (("E1", "engine"), ("E2", "engine"), ("M1", "als_ambulance"))
    }
    return Fleet(fire, made["E1"], made["E2"], made["M1"])


def unit_status(client: TestClient, headers: Headers, unit_id: int) -> str:
    status: str = ok(client.get(f"/api/units/{unit_id}", headers=headers))["status"]
    return status


def incident_status(client: TestClient, headers: Headers, incident_id: int) -> str:
    status: str = ok(client.get(f"/api/incidents/{incident_id}", headers=headers))["status"]
    return status


def timeline(client: TestClient, headers: Headers, incident_id: int) -> list[tuple[str, Any]]:
    """(kind, unit id) of every timeline step, oldest first."""
    steps = ok(client.get(f"/api/incidents/{incident_id}/timeline", headers=headers))
    return [(s["kind"], s["unit_id"]) for s in steps]


def assignments(client: TestClient, headers: Headers, incident_id: int) -> list[Json]:
    result: list[Json] = ok(client.get(f"/api/incidents/{incident_id}/units", headers=headers))
    return result


def move(client: TestClient, headers: Headers, unit_id: int, *statuses: str) -> None:
    for status in statuses:
        assert ok(support.set_status(client, headers, unit_id, status))["status"] == status


def allowed_from(status: UnitStatus) -> list[str]:
    return sorted(s.value for s in TRANSITIONS[status])


# --- response plans ---------------------------------------------------------------------


def test_the_most_specific_plan_wins(client: TestClient, world: World, fire: Crew) -> None:
    def plan(nature: str, name: str, priority: int | None = None) -> Json:
        body = {
            "nature_code": nature,
            "priority": priority,
            "name": name,
            "requirements": [{"unit_type": "engine", "count": 2}, {"capability": "thermal"}],
        }
        result: Json = ok(client.post("/api/plans", json=body, headers=fire.supervisor), 201)
        return result

    unplanned = support.incident(client, fire.dispatcher, "MED-FALL")
    missing = client.get(f"/api/incidents/{unplanned['id']}/plan", headers=fire.dispatcher)
    assert "MED-FALL" in ok(missing, 404)["detail"]

    fallback = plan("*", "Anything")
    nature_only = plan("FIRE-STRUCTURE", "Structure fire")
    exact = plan("FIRE-STRUCTURE", "Structure fire, priority 1", priority=1)
    any_urgent = plan("*", "Anything of priority 2", priority=2)
    assert exact["requirements"] == [
        {"unit_type": "engine", "capability": None, "count": 2},
        {"unit_type": None, "capability": "thermal", "count": 1},
    ]
    # Another agency's plans never apply here.
    police = support.crew(world, "POLICE", kind="police")
    body: Json = {"nature_code": "FIRE-STRUCTURE", "priority": 2, "name": "Theirs"}
    body["requirements"] = [{"unit_type": "patrol"}]
    ok(client.post("/api/plans", json=body, headers=police.supervisor), 201)

    def plan_for(nature: str, modifiers: list[str] | None = None) -> Json:
        incident = support.incident(client, fire.dispatcher, nature, modifiers=modifiers)
        result: Json = ok(
            client.get(f"/api/incidents/{incident['id']}/plan", headers=fire.dispatcher)
        )
        return result

    assert plan_for("FIRE-STRUCTURE")["id"] == exact["id"]  # priority 1 by default
    # At priority 2 the nature's own plan beats the priority-2 fallback.
    assert plan_for("FIRE-STRUCTURE", ["no_injuries"])["id"] == nature_only["id"]
    assert plan_for("FIRE-ALARM")["id"] == any_urgent["id"]  # priority 2, no plan of its own
    assert plan_for("MED-FALL")["id"] == fallback["id"]  # priority 3

    listed = ok(client.get("/api/plans", headers=fire.dispatcher))
    assert sorted(p["id"] for p in listed) == sorted(
        p["id"] for p in (fallback, nature_only, exact, any_urgent)
    )
    again = {"nature_code": "*", "name": "Twice", "requirements": [{"unit_type": "engine"}]}
    assert client.post("/api/plans", json=again, headers=fire.supervisor).status_code == 409
    assert client.post("/api/plans", json=again, headers=fire.dispatcher).status_code == 403


# --- the life of an incident -----------------------------------------------------------


def test_full_lifecycle(client: TestClient, fleet: Fleet) -> None:
    crew, e1, medic = fleet.crew, fleet.engine1, fleet.medic
    d = crew.dispatcher
    incident = support.incident(client, d, "TC-INJURY")
    iid = incident["id"]
    assert incident["status"] == "new"

    made = ok(support.assign(client, d, iid, e1, medic), 201)
    assert [(a["unit_id"], a["incident_id"], a["ended_at"]) for a in made] == [
        (e1, iid, None),
        (medic, iid, None),
    ]
    assert incident_status(client, d, iid) == "dispatched"
    assert unit_status(client, d, e1) == unit_status(client, d, medic) == "dispatched"

    move(client, crew.terminal, e1, "en_route")
    move(client, crew.terminal, medic, "en_route")
    assert incident_status(client, d, iid) == "dispatched"
    move(client, crew.terminal, e1, "on_scene")
    assert incident_status(client, d, iid) == "on_scene"

    move(client, crew.terminal, medic, "on_scene", "transporting", "at_hospital")
    assert incident_status(client, d, iid) == "on_scene"
    move(client, crew.terminal, medic, "available_on_radio")
    by_unit = {a["unit_id"]: a for a in assignments(client, d, iid)}
    assert by_unit[medic]["end_reason"] == "cleared"
    assert by_unit[medic]["ended_at"] is not None
    assert by_unit[e1]["ended_at"] is None

    refused = ok(
        client.post(f"/api/incidents/{iid}/close", json={"disposition": "x"}, headers=d), 409
    )
    assert "E1" in refused["detail"]
    assert "M1" not in refused["detail"]
    assert refused["units"] == [e1]
    assert incident_status(client, d, iid) == "on_scene"

    move(client, crew.terminal, e1, "available_on_radio", "available")
    closed = ok(
        client.post(f"/api/incidents/{iid}/close", json={"disposition": "transported"}, headers=d)
    )
    assert (closed["status"], closed["disposition"]) == ("closed", "transported")
    assert closed["closed_at"] is not None
    assert all(a["end_reason"] == "cleared" for a in assignments(client, d, iid))

    steps = timeline(client, d, iid)
    medic_steps = [kind for kind, unit in steps if unit == medic]
    assert medic_steps == [
        "unit_dispatched",
        "unit_en_route",
        "unit_on_scene",
        "unit_transporting",
        "unit_at_hospital",
        "unit_cleared",
    ]
    assert [kind for kind, unit in steps if unit == e1] == [
        "unit_dispatched",
        "unit_en_route",
        "unit_on_scene",
        "unit_cleared",
    ]
    assert steps[-1] == ("closed", None)

    # A closed incident takes no more units, and cannot be closed twice.
    assert ok(support.assign(client, d, iid, fleet.engine2), 409)
    assert unit_status(client, d, fleet.engine2) == "available"
    assert (
        client.post(f"/api/incidents/{iid}/close", json={"disposition": "x"}, headers=d).status_code
        == 409
    )


def test_unassigning_before_arrival(client: TestClient, fleet: Fleet) -> None:
    crew, e1, e2 = fleet.crew, fleet.engine1, fleet.engine2
    d = crew.dispatcher
    iid = support.incident(client, d)["id"]
    ok(support.assign(client, d, iid, e1, e2), 201)
    move(client, crew.terminal, e2, "en_route")

    back = ok(client.delete(f"/api/incidents/{iid}/units/{e1}", headers=d))
    assert back["status"] == "available_on_radio"
    assert incident_status(client, d, iid) == "dispatched"  # E2 is still coming
    ok(client.delete(f"/api/incidents/{iid}/units/{e2}", headers=d))
    assert unit_status(client, d, e2) == "available_on_radio"
    assert incident_status(client, d, iid) == "pending"

    ended = assignments(client, d, iid)
    assert [(a["unit_id"], a["end_reason"]) for a in ended] == [
        (e1, "cancelled"),
        (e2, "cancelled"),
    ]
    assert all(a["ended_at"] is not None for a in ended)
    steps = timeline(client, d, iid)
    assert ("unit_cancelled", e1) in steps
    assert ("unit_cancelled", e2) in steps
    assert ("unit_cleared", e1) not in steps

    # Not assigned any more; and once arrived, a unit can no longer be cancelled.
    assert client.delete(f"/api/incidents/{iid}/units/{e1}", headers=d).status_code == 409
    ok(support.assign(client, d, iid, e1), 201)
    move(client, crew.terminal, e1, "on_scene")
    late = ok(client.delete(f"/api/incidents/{iid}/units/{e1}", headers=d), 409)
    assert late["allowed"] == allowed_from(UnitStatus.ON_SCENE)
    assert unit_status(client, d, e1) == "on_scene"


def test_reassigning_an_en_route_unit(client: TestClient, fleet: Fleet) -> None:
    crew, e1 = fleet.crew, fleet.engine1
    d = crew.dispatcher
    first = support.incident(client, d, "FIRE-ALARM")["id"]
    second = support.incident(client, d, "FIRE-STRUCTURE", lat=60.3, lon=25.1)["id"]
    ok(support.assign(client, d, first, e1), 201)
    move(client, crew.terminal, e1, "en_route")

    same = client.post(f"/api/units/{e1}/reassign", json={"incident_id": first}, headers=d)
    assert same.status_code == 409
    moved = ok(
        client.post(f"/api/units/{e1}/reassign", json={"incident_id": second}, headers=d), 201
    )
    assert (moved["incident_id"], moved["unit_id"], moved["ended_at"]) == (second, e1, None)
    assert unit_status(client, d, e1) == "dispatched"
    assert incident_status(client, d, first) == "pending"
    assert incident_status(client, d, second) == "dispatched"
    assert [a["end_reason"] for a in assignments(client, d, first)] == ["cancelled"]
    assert ("unit_cancelled", e1) in timeline(client, d, first)
    assert ("unit_dispatched", e1) in timeline(client, d, second)

    # Once on scene it stays.
    move(client, crew.terminal, e1, "on_scene")
    stuck = client.post(f"/api/units/{e1}/reassign", json={"incident_id": first}, headers=d)
    assert ok(stuck, 409)["allowed"] == allowed_from(UnitStatus.ON_SCENE)
    free = client.post(
        f"/api/units/{fleet.engine2}/reassign", json={"incident_id": first}, headers=d
    )
    assert free.status_code == 409
    assert unit_status(client, d, fleet.engine2) == "available"


def test_cancelling_an_incident_cancels_its_units(client: TestClient, fleet: Fleet) -> None:
    crew, e1, e2 = fleet.crew, fleet.engine1, fleet.engine2
    d = crew.dispatcher
    iid = support.incident(client, d)["id"]
    ok(support.assign(client, d, iid, e1, e2), 201)
    move(client, crew.terminal, e1, "en_route")

    cancelled = ok(
        client.post(f"/api/incidents/{iid}/cancel", json={"disposition": "false_alarm"}, headers=d)
    )
    assert (cancelled["status"], cancelled["disposition"]) == ("cancelled", "false_alarm")
    assert unit_status(client, d, e1) == unit_status(client, d, e2) == "available_on_radio"
    assert {a["end_reason"] for a in assignments(client, d, iid)} == {"cancelled"}
    assert timeline(client, d, iid)[-1] == ("cancelled", None)

    # With a unit on scene the incident must be closed instead; nothing changes.
    other = support.incident(client, d, "MED-FALL")["id"]
    ok(support.assign(client, d, other, e1, e2), 201)
    move(client, crew.terminal, e2, "on_scene")
    refused = client.post(f"/api/incidents/{other}/cancel", json={"disposition": "x"}, headers=d)
    assert "E2" in ok(refused, 409)["detail"]
    assert unit_status(client, d, e1) == "dispatched"
    assert incident_status(client, d, other) == "on_scene"


# --- what dispatch refuses ---------------------------------------------------------------


def test_illegal_moves_name_the_allowed_statuses(client: TestClient, fleet: Fleet) -> None:
    crew, e1, e2, medic = fleet.crew, fleet.engine1, fleet.engine2, fleet.medic
    d = crew.dispatcher
    iid = support.incident(client, d)["id"]
    other = support.incident(client, d, "MED-FALL")["id"]

    move(client, d, e2, "out_of_service")
    body = ok(support.assign(client, d, iid, e2), 409)
    assert (
        body["allowed"]
        == allowed_from(UnitStatus.OUT_OF_SERVICE)
        == ["available", "available_on_radio"]
    )

    ok(support.assign(client, d, iid, e1), 201)
    body = ok(support.assign(client, d, other, e1), 409)
    assert body["allowed"] == allowed_from(UnitStatus.DISPATCHED)
    assert [a["unit_id"] for a in assignments(client, d, iid)] == [e1]
    assert assignments(client, d, other) == []
    # A batch with one busy unit sends none of them.
    ok(support.assign(client, d, other, medic, e1), 409)
    assert unit_status(client, d, medic) == "available"
    assert incident_status(client, d, other) == "new"

    idle = ok(support.set_status(client, d, medic, "on_scene"), 409)
    assert "incident" in idle["detail"]
    assert idle["allowed"] == allowed_from(UnitStatus.AVAILABLE)
    assert unit_status(client, d, medic) == "available"

    move(client, d, e1, "on_scene", "transporting")
    body = ok(support.set_status(client, d, e1, "available"), 409)
    assert body["allowed"] == ["at_hospital"]
    assert "at_hospital" in body["detail"]
    assert unit_status(client, d, e1) == "transporting"
    assert [a["ended_at"] for a in assignments(client, d, iid)] == [None]


# --- mutual aid ------------------------------------------------------------------------


def test_mutual_aid(client: TestClient, world: World) -> None:
    a, b, c = (support.crew(world, code) for code in ("AGENCY-A", "AGENCY-B", "AGENCY-C"))
    shared = support.unit(client, b.supervisor, "B1", shared_with=[a.agency_id])["id"]
    private = support.unit(client, b.supervisor, "B2")["id"]
    incident = support.incident(client, a.dispatcher)
    iid = incident["id"]
    assert incident["shared_with"] == []
    assert client.get(f"/api/incidents/{iid}", headers=b.dispatcher).status_code == 404

    refused = support.assign(client, a.dispatcher, iid, private)
    assert refused.status_code in (403, 404)
    assert unit_status(client, b.dispatcher, private) == "available"

    ok(support.assign(client, a.dispatcher, iid, shared), 201)
    seen = ok(client.get(f"/api/incidents/{iid}", headers=b.dispatcher))
    assert seen["shared_with"] == [b.agency_id]
    assert iid in [i["id"] for i in ok(client.get("/api/incidents", headers=b.dispatcher))]
    assert client.get(f"/api/incidents/{iid}", headers=c.dispatcher).status_code == 404

    # The lending agency's own terminal reports progress on the borrowing agency's incident.
    move(client, b.terminal, shared, "en_route", "on_scene")
    assert incident_status(client, a.dispatcher, iid) == "on_scene"
    assert ("unit_on_scene", shared) in timeline(client, a.dispatcher, iid)
    move(client, b.terminal, shared, "available_on_radio")
    closed = client.post(
        f"/api/incidents/{iid}/close", json={"disposition": "resolved"}, headers=a.dispatcher
    )
    assert ok(closed)["status"] == "closed"


# --- two dispatchers, one unit -----------------------------------------------------------


def side_by_side(*calls: Callable[[], T]) -> list[T | BaseException]:
    """Run ``calls`` in threads released together; each one's result or exception."""
    barrier = threading.Barrier(len(calls), timeout=30)
    results: list[T | BaseException | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], T]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in results), "a racer did not finish"
    return [r for r in results if r is not None]


def active_incidents(runtime: Runtime, unit_id: int) -> list[int]:
    with runtime.sessions() as db:
        query = select(Assignment.incident_id).where(
            Assignment.unit_id == unit_id, Assignment.ended_at.is_(None)
        )
        return list(db.scalars(query))


def test_two_dispatchers_racing_for_one_unit(
    client: TestClient, runtime: Runtime, world: World, fire: Crew
) -> None:
    other = world.user("fire.dispatcher2", fire.agency, [Role.DISPATCHER], password=None)
    racers = [fire.dispatcher, bearer(world.token(other))]
    for headers in racers:  # a token's first use writes to it; keep that out of the race
        ok(client.get("/api/units", headers=headers))
    incidents = [support.incident(client, fire.dispatcher, lat=60 + n)["id"] for n in range(2)]

    for round_ in range(5):
        unit_id = support.unit(client, fire.supervisor, f"R{round_}")["id"]
        responses = side_by_side(
            *(
                functools.partial(support.assign, client, headers, incident_id, unit_id)
                for headers, incident_id in zip(racers, incidents, strict=True)
            )
        )
        codes = [getattr(r, "status_code", r) for r in responses]
        assert sorted(codes) == [201, 409], codes  # type: ignore[type-var]
        winner = incidents[codes.index(201)]
        assert active_incidents(runtime, unit_id) == [winner]
        assert unit_status(client, fire.dispatcher, unit_id) == "dispatched"
        loser = incidents[codes.index(409)]
        assert unit_id not in [a["unit_id"] for a in assignments(client, fire.dispatcher, loser)]


def _assign_after_stale_read(
    runtime: Runtime, actor: Actor, incident_id: int, unit_id: int, ready: threading.Barrier
) -> str:
    """Load the unit (free), wait for the other dispatcher, then send it from that view."""
    with runtime.sessions() as db:
        seen = db.get(Unit, unit_id)  # stays in the session's identity map, as read
        assert seen is not None
        assert seen.status == "available"
        db.commit()
        ready.wait()
        try:
            dispatch.assign(db=db, actor=actor, incident_id=incident_id, unit_ids=[unit_id])
            db.commit()
        except Conflict as exc:
            db.rollback()
            return f"conflict: {exc.detail}"
        return "assigned"


def test_a_stale_read_loses_to_the_committed_dispatch(
    runtime: Runtime, world: World, client: TestClient, fire: Crew
) -> None:
    """Both dispatchers saw the unit free; the conditional update lets only one through."""
    user = world.user("fire.console", fire.agency, [Role.DISPATCHER], password=None)
    actor = Actor(user.id, user.username, fire.agency_id, frozenset({Role.DISPATCHER}), "token")
    incidents = [support.incident(client, fire.dispatcher, lat=61 + n)["id"] for n in range(2)]

    for round_ in range(3):
        unit_id = support.unit(client, fire.supervisor, f"S{round_}")["id"]
        ready = threading.Barrier(2, timeout=30)
        outcomes = side_by_side(
            *(
                functools.partial(_assign_after_stale_read, runtime, actor, i, unit_id, ready)
                for i in incidents
            )
        )
        assert sorted(map(str, outcomes))[0] == "assigned", outcomes
        # The loser passed every check on its stale copy; only the guarded update stopped it.
        assert sorted(map(str, outcomes))[1].startswith("conflict: "), outcomes
        assert "changed by someone else" in str(sorted(map(str, outcomes))[1])
        winner = incidents[outcomes.index("assigned")]
        assert active_incidents(runtime, unit_id) == [winner]


# --- response-time figures -----------------------------------------------------------


def test_response_time_figures_follow_the_timelines(
    client: TestClient, fleet: Fleet, world: World, frozen_clock: Clock
) -> None:
    d = fleet.crew.dispatcher
    now = frozen_clock.now
    calls = []
    for answer_s, dispatch_after_s in ((5, 40), (25, 90)):
        body = {
            "nature_code": "FIRE-ALARM",
            "location": {"lat": 60.17, "lon": 24.94},
            "call_received_at": (now - timedelta(seconds=answer_s)).isoformat(),
            "call_answered_at": now.isoformat(),
        }
        made = ok(client.post("/api/incidents", json=body, headers=d), 201)["incident"]
        calls.append((made["id"], dispatch_after_s))
    for (incident_id, after_s), unit_id in zip(calls, (fleet.engine1, fleet.engine2), strict=True):
        frozen_clock.now = now + timedelta(seconds=after_s)
        ok(support.assign(client, d, incident_id, unit_id), 201)
    result = ok(client.get("/api/response-times", params={"hours": 1}, headers=d))
    assert result["incidents"] == 2
    by_name = {f["interval"]: f for f in result["figures"]}
    assert by_name["answer"]["count"] == 2
    assert by_name["answer"]["within_target"] == 0.5  # 5 s and 25 s against 15 s
    assert by_name["call_processing"]["median_s"] == 40.0
    assert by_name["call_processing"]["p90_s"] == 90.0
    assert by_name["first_unit_travel"]["count"] == 0  # nobody has arrived yet
    police = support.crew(world, "POLICE", "police")
    assert ok(client.get("/api/response-times", headers=police.dispatcher))["incidents"] == 0
