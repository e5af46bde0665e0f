"""Response-time intervals: properties of the pure arithmetic over generated timelines,
and one full incident lifecycle through the API with scripted times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from signalfire.incidents.intervals import (
    Intervals,
    Kind,
    Step,
    UnitIntervals,
    compute,
    unit_intervals,
)
from tests.conftest import Clock, World
from tests.incidents.support import Json, Staff, call, create_unit, dispatch, get_json, staff

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
GAP = st.integers(min_value=0, max_value=3_600)


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# --- generated timelines ---------------------------------------------------------------


@dataclass(frozen=True)
class UnitPlan:
    """One unit's scripted response, in seconds after T0; ``None`` = never happened."""

    unit_id: int
    dispatched: int
    en_route: int | None
    on_scene: int | None
    cancelled: int | None

    def steps(self) -> list[Step]:
        times = [
            (Kind.UNIT_DISPATCHED, self.dispatched),
            (Kind.UNIT_EN_ROUTE, self.en_route),
            (Kind.UNIT_ON_SCENE, self.on_scene),
            (Kind.UNIT_CANCELLED, self.cancelled),
        ]
        return [Step(kind, t(at), self.unit_id) for kind, at in times if at is not None]

    def expected(self) -> UnitIntervals:
        turnout = None if self.en_route is None else float(self.en_route - self.dispatched)
        travel = None
        if self.en_route is not None and self.on_scene is not None:
            travel = float(self.on_scene - self.en_route)
        return UnitIntervals(self.unit_id, turnout, travel, self.cancelled is not None)


@dataclass(frozen=True)
class Plan:
    """A whole incident: the call, then units in dispatch order (the first strictly first)."""

    received: int | None
    answered: int | None
    units: list[UnitPlan]

    def steps(self) -> list[Step]:
        call_steps = [(Kind.CALL_RECEIVED, self.received), (Kind.CALL_ANSWERED, self.answered)]
        steps = [Step(kind, t(at)) for kind, at in call_steps if at is not None]
        steps.append(Step(Kind.INCIDENT_ENTERED, t(self.answered or 0)))
        for unit in self.units:
            steps += unit.steps()
        return sorted(steps, key=lambda s: s.at)

    def expected(self) -> Intervals:
        first = self.units[0].expected() if self.units else None
        arrivals = [u.on_scene for u in self.units if u.on_scene is not None]
        dispatches = [u.dispatched for u in self.units]
        return Intervals(
            answer=diff(self.received, self.answered),
            call_processing=diff(self.answered, min(dispatches, default=None)),
            first_unit_turnout=first.turnout if first else None,
            first_unit_travel=first.travel if first else None,
            total_response=diff(self.received, min(arrivals, default=None)),
            units=sorted((u.expected() for u in self.units), key=lambda u: u.unit_id),
        )


def diff(start: int | None, end: int | None) -> float | None:
    return None if start is None or end is None else float(end - start)


@st.composite
def unit_plans(draw: st.DrawFn, unit_id: int, dispatched: int) -> UnitPlan:
    """Dispatched, then maybe en route, then on scene, cancelled before arriving, or
    still on the way."""
    en_route = dispatched + draw(GAP) if draw(st.booleans()) else None
    last = en_route if en_route is not None else dispatched
    outcome = draw(st.sampled_from(["arrived", "cancelled", "on_the_way"]))
    on_scene = last + draw(GAP) if outcome == "arrived" else None
    cancelled = last + draw(GAP) if outcome == "cancelled" else None
    return UnitPlan(unit_id, dispatched, en_route, on_scene, cancelled)


@st.composite
def plans(draw: st.DrawFn, *, min_units: int = 0, full_first: bool = False) -> Plan:
    """Monotonic timelines; ``full_first``: every call time is there and the first
    dispatched unit is also the first on scene, with every one of its times."""
    received = 0 if full_first or draw(st.booleans()) else None
    answered = draw(GAP) if full_first or draw(st.booleans()) else None
    count = draw(st.integers(min_value=min_units, max_value=4))
    ids = draw(st.lists(st.integers(1, 99), min_size=count, max_size=count, unique=True))
    clock = (answered or 0) + draw(GAP)
    units: list[UnitPlan] = []
    for index, unit_id in enumerate(ids):
        if index:
            clock += draw(st.integers(min_value=1, max_value=600))
        unit = draw(unit_plans(unit_id, clock))
        if full_first and index == 0:
            en_route = clock + draw(GAP)
            unit = UnitPlan(unit_id, clock, en_route, en_route + draw(GAP), None)
        elif full_first and unit.on_scene is not None:
            first_arrival = units[0].on_scene
            assert first_arrival is not None
            unit = UnitPlan(unit_id, clock, unit.en_route, max(unit.on_scene, first_arrival), None)
        units.append(unit)
    return Plan(received, answered, units)


@given(plans())
def test_intervals_are_the_scripted_differences(plan: Plan) -> None:
    result = compute(plan.steps())
    assert result == plan.expected()
    numbers = [
        result.answer,
        result.call_processing,
        result.first_unit_turnout,
        result.first_unit_travel,
        result.total_response,
    ]
    numbers += [u.turnout for u in result.units] + [u.travel for u in result.units]
    assert all(n >= 0 for n in numbers if n is not None)


@given(plans(min_units=1, full_first=True))
def test_total_response_is_the_sum_of_its_parts(plan: Plan) -> None:
    result = compute(plan.steps())
    parts = [
        result.answer,
        result.call_processing,
        result.first_unit_turnout,
        result.first_unit_travel,
    ]
    assert None not in parts
    assert result.total_response == sum(p for p in parts if p is not None)


@given(plans())
def test_missing_timestamps_give_none_never_zero_nor_a_dropped_unit(plan: Plan) -> None:
    result = compute(plan.steps())
    dispatched = bool(plan.units)
    arrived = any(u.on_scene is not None for u in plan.units)
    assert (result.answer is None) == (plan.received is None or plan.answered is None)
    assert (result.call_processing is None) == (plan.answered is None or not dispatched)
    assert (result.total_response is None) == (plan.received is None or not arrived)
    assert [u.unit_id for u in result.units] == sorted(u.unit_id for u in plan.units)
    for unit, got in zip(sorted(plan.units, key=lambda u: u.unit_id), result.units, strict=True):
        assert (got.turnout is None) == (unit.en_route is None)
        assert (got.travel is None) == (unit.en_route is None or unit.on_scene is None)


@given(st.integers(1, 99), GAP, st.one_of(st.none(), GAP), GAP, st.one_of(st.none(), GAP))
def test_a_unit_cancelled_before_arriving_has_no_travel(
    unit_id: int, dispatched: int, turnout: int | None, after: int, late: int | None
) -> None:
    """Cancelled on the way (or before rolling); an arrival reported after the cancel
    does not turn it into a response with a travel time."""
    en_route = None if turnout is None else dispatched + turnout
    cancelled = (en_route if en_route is not None else dispatched) + after
    unit = UnitPlan(unit_id, dispatched, en_route, None, cancelled)
    steps = unit.steps()
    if late is not None:
        steps.append(Step(Kind.UNIT_ON_SCENE, t(cancelled + 1 + late), unit_id))
    got = unit_intervals(steps, unit_id)
    assert got.travel is None
    assert got.cancelled_before_arrival is True
    assert got.turnout == (None if turnout is None else float(turnout))
    result = compute([Step(Kind.CALL_RECEIVED, t(0)), *steps])
    assert result.units == [got]
    assert result.first_unit_travel is None
    if late is None:
        assert result.total_response is None


@given(plans(), st.data())
def test_event_order_does_not_matter(plan: Plan, data: st.DataObject) -> None:
    steps = plan.steps()
    shuffled = data.draw(st.permutations(steps))
    assert compute(shuffled) == compute(steps) == plan.expected()


@given(
    st.lists(st.integers(1, 99), min_size=2, max_size=4, unique=True),
    st.lists(GAP, min_size=4, max_size=4),
    st.data(),
)
def test_units_sent_at_the_same_instant_give_one_answer(
    unit_ids: list[int], turnouts: list[int], data: st.DataObject
) -> None:
    """Units sent in one request share the dispatch time; which of them counts as the
    first unit must not depend on the order the events are handed over."""
    steps = [Step(Kind.CALL_RECEIVED, t(0)), Step(Kind.CALL_ANSWERED, t(10))]
    for unit_id, turnout in zip(unit_ids, turnouts, strict=False):
        steps += UnitPlan(unit_id, 60, 60 + turnout, 60 + turnout + 100, None).steps()
    reordered = data.draw(st.permutations(steps))
    result = compute(reordered)
    assert result == compute(steps)
    assert result.call_processing == 50.0
    first = min(unit_ids)
    assert result.first_unit_turnout == float(turnouts[unit_ids.index(first)])


# --- a whole incident through the API ----------------------------------------------------


@pytest.fixture
def fire(frozen_clock: Clock, world: World) -> Staff:
    return staff(world, world.agency("FIRE"))


def set_status(client: TestClient, desk: Staff, unit_id: int, status: str, when: datetime) -> Json:
    body = {"status": status, "at": when.isoformat(), "source": "radio"}
    response = client.post(f"/api/units/{unit_id}/status", json=body, headers=desk.dispatcher)
    assert response.status_code == 200, response.text
    unit: Json = response.json()
    return unit


def incident_status(client: TestClient, desk: Staff, incident_id: int) -> str:
    status: str = get_json(client, f"/api/incidents/{incident_id}", desk.dispatcher)["status"]
    return status


def test_a_full_lifecycle_gives_the_scripted_intervals(
    client: TestClient, fire: Staff, frozen_clock: Clock
) -> None:
    start = frozen_clock.now
    engine = create_unit(client, fire.supervisor, "E11")
    ladder = create_unit(client, fire.supervisor, "L11")
    body = call(
        call_received_at=(start - timedelta(seconds=45)).isoformat(),
        call_answered_at=(start - timedelta(seconds=37)).isoformat(),
        time_source="telephony",
    )
    response = client.post("/api/incidents", json=body, headers=fire.call_taker)
    assert response.status_code == 201, response.text
    incident_id: int = response.json()["incident"]["id"]

    frozen_clock.advance(seconds=50)  # dispatched 87 s after answering
    dispatch(client, fire.dispatcher, incident_id, engine)
    dispatched = frozen_clock.now
    frozen_clock.advance(seconds=30)
    dispatch(client, fire.dispatcher, incident_id, ladder)
    set_status(client, fire, ladder, "en_route", frozen_clock.now + timedelta(seconds=12))
    set_status(client, fire, engine, "en_route", dispatched + timedelta(seconds=55))
    assert incident_status(client, fire, incident_id) == "dispatched"
    frozen_clock.advance(seconds=120)
    cancelled = client.delete(
        f"/api/incidents/{incident_id}/units/{ladder}", headers=fire.dispatcher
    )
    assert cancelled.status_code == 200, cancelled.text
    on_scene = dispatched + timedelta(seconds=55 + 240)
    set_status(client, fire, engine, "on_scene", on_scene)
    assert incident_status(client, fire, incident_id) == "on_scene"
    set_status(client, fire, engine, "available_on_radio", on_scene + timedelta(minutes=25))
    frozen_clock.advance(minutes=30)
    closed = client.post(
        f"/api/incidents/{incident_id}/close",
        json={"disposition": "resolved"},
        headers=fire.dispatcher,
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"

    result = get_json(client, f"/api/incidents/{incident_id}/intervals", fire.analyst)
    assert result == {
        "answer": 8.0,
        "call_processing": 87.0,
        "first_unit_turnout": 55.0,
        "first_unit_travel": 240.0,
        "total_response": 390.0,
        "units": [
            {
                "unit_id": engine,
                "turnout": 55.0,
                "travel": 240.0,
                "cancelled_before_arrival": False,
            },
            {"unit_id": ladder, "turnout": 12.0, "travel": None, "cancelled_before_arrival": True},
        ],
    }
    assert result["total_response"] == sum(
        result[k] for k in ("answer", "call_processing", "first_unit_turnout", "first_unit_travel")
    )
