"""The unit status machine, checked against the table of allowed moves written below:
every pair through the service, pure properties, then the API driven against a model."""

from __future__ import annotations

import itertools
from collections import deque
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.errors import Conflict
from signalfire.core.runtime import Runtime
from signalfire.dispatch.models import Assignment
from signalfire.incidents.models import Incident
from signalfire.units import service
from signalfire.units.models import Unit
from signalfire.units.schemas import UnitCreate, UnitType
from signalfire.units.status import (
    ARRIVED,
    ASSIGNABLE,
    COMMITTED,
    REASSIGNABLE,
    TRANSITIONS,
    IllegalTransition,
    UnitStatus,
    check,
)
from tests.conftest import World
from tests.units import support

S = UnitStatus
statuses = st.sampled_from(list(UnitStatus))
FREE = frozenset({S.AVAILABLE, S.AVAILABLE_ON_RADIO})

# Every pair of statuses, from the row to the column: ``yes`` allowed, ``.`` refused.
# The README's cycle (available -> dispatched -> en route -> on scene -> (transporting ->
# at hospital ->) available on radio -> available), out of service only while free, a
# dispatch cancelled or redirected before arrival, a patient re-routed between hospitals.
_TABLE = """
from \\ to          available  on_radio  dispatched  en_route  on_scene  transport  hospital  oos
available               .         yes       yes         .         .         .          .       yes
available_on_radio     yes         .        yes         .         .         .          .       yes
dispatched             yes        yes        .         yes       yes        .          .        .
en_route                .         yes       yes         .        yes        .          .        .
on_scene                .         yes        .          .         .        yes         .        .
transporting            .          .         .          .         .         .         yes       .
at_hospital             .         yes        .          .         .        yes         .        .
out_of_service         yes        yes        .          .         .         .          .        .
"""
_COLUMNS = (
    S.AVAILABLE,
    S.AVAILABLE_ON_RADIO,
    S.DISPATCHED,
    S.EN_ROUTE,
    S.ON_SCENE,
    S.TRANSPORTING,
    S.AT_HOSPITAL,
    S.OUT_OF_SERVICE,
)


def _parse(table: str) -> dict[UnitStatus, frozenset[UnitStatus]]:
    """The table above as ``{from: allowed targets}``."""
    allowed: dict[UnitStatus, frozenset[UnitStatus]] = {}
    for row in table.strip().splitlines()[1:]:
        name, *cells = row.split()
        assert len(cells) == len(_COLUMNS), row
        allowed[UnitStatus(name)] = frozenset(
            to for to, cell in zip(_COLUMNS, cells, strict=True) if cell == "yes"
        )
    assert set(allowed) == set(UnitStatus)
    return allowed


ALLOWED = _parse(_TABLE)


def _path(start: UnitStatus, goal: UnitStatus) -> list[UnitStatus]:
    """The shortest list of allowed moves (by the written table) from ``start`` to ``goal``."""
    paths: dict[UnitStatus, list[UnitStatus]] = {start: []}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for to in sorted(ALLOWED[current]):
            if to not in paths:
                paths[to] = [*paths[current], to]
                queue.append(to)
    return paths[goal]


def _reachable(start: UnitStatus) -> set[UnitStatus]:
    """Statuses reachable from ``start`` by requests ``check`` accepts (start included)."""
    seen, queue = {start}, deque([start])
    while queue:
        current = queue.popleft()
        for requested in UnitStatus:
            try:
                check(current, requested)
            except IllegalTransition:
                continue
            if requested not in seen:
                seen.add(requested)
                queue.append(requested)
    return seen


# --- the pure machine ------------------------------------------------------------------


def test_every_status_has_a_row() -> None:
    assert set(TRANSITIONS) == set(UnitStatus)
    assert all(s not in ALLOWED[s] for s in UnitStatus), "no status moves to itself"


@pytest.mark.parametrize("current", list(UnitStatus), ids=str)
def test_the_service_allows_exactly_the_written_table(
    current: UnitStatus, world: World, db: Session
) -> None:
    """From ``current`` (reached by allowed moves), every requested status: taken or 409."""
    agency = world.agency("PAIRS")
    actor = Actor(None, "pairs", agency.id, frozenset(Role), "cli")
    for number, requested in enumerate(UnitStatus):
        data = UnitCreate(callsign=f"P{number}", unit_type=UnitType.ENGINE)
        unit = service.create_unit(db=db, actor=actor, data=data)
        for step in _path(S.AVAILABLE, current):
            service.change_status(db=db, actor=actor, unit=unit, to=step)
        assert unit.status == current.value
        if requested in ALLOWED[current]:
            assert service.change_status(db=db, actor=actor, unit=unit, to=requested) is current
            assert unit.status == requested.value
        else:
            with pytest.raises(Conflict) as refused:
                service.change_status(db=db, actor=actor, unit=unit, to=requested)
            assert refused.value.extra["allowed"] == sorted(s.value for s in ALLOWED[current])
            assert unit.status == current.value
    db.commit()


@given(current=statuses, requested=statuses)
def test_check_accepts_exactly_the_table(current: UnitStatus, requested: UnitStatus) -> None:
    if requested in ALLOWED[current]:
        assert check(current, requested) is requested
    else:
        with pytest.raises(IllegalTransition) as raised:
            check(current, requested)
        assert raised.value.current is current
        assert raised.value.requested is requested
        assert raised.value.allowed == sorted(ALLOWED[current])
        assert requested.value in str(raised.value)


@given(walk=st.lists(statuses, max_size=60))
def test_random_walks_follow_the_table(walk: list[UnitStatus]) -> None:
    current = S.AVAILABLE
    for requested in walk:
        if requested in ALLOWED[current]:
            current = check(current, requested)
        else:
            with pytest.raises(IllegalTransition) as raised:
                check(current, requested)
            assert raised.value.allowed == sorted(ALLOWED[current])
            assert raised.value.allowed, f"{current} is a dead end"
        # Whatever happened, the unit can still get back to work.
        assert S.AVAILABLE in _reachable(current)


@given(start=statuses)
def test_available_is_reachable_and_nothing_is_a_dead_end(start: UnitStatus) -> None:
    reachable = _reachable(start)
    assert S.AVAILABLE in reachable
    for status in reachable:
        assert ALLOWED[status], f"{status} is a dead end"
        assert S.AVAILABLE in _reachable(status)


def test_named_sets_agree_with_the_table() -> None:
    assert all(S.DISPATCHED in ALLOWED[s] for s in ASSIGNABLE)
    assert ASSIGNABLE.isdisjoint(COMMITTED)
    assert REASSIGNABLE <= COMMITTED
    assert ARRIVED <= COMMITTED
    assert REASSIGNABLE.isdisjoint(ARRIVED)
    # A unit on scene can only leave by clearing or transporting: never cancelled.
    assert all(S.DISPATCHED not in ALLOWED[s] for s in ARRIVED)


# --- the API against a model of the machine ---------------------------------------------

_callsigns = itertools.count(1)


class UnitOverHttp(RuleBasedStateMachine):
    """A fresh unit and two incidents; the model is the unit's status, its current
    incident and each incident's status."""

    def __init__(self, client: TestClient, crew: support.Crew, runtime: Runtime) -> None:
        super().__init__()
        self.client, self.crew, self.runtime = client, crew, runtime
        self.headers = crew.dispatcher
        self.status = S.AVAILABLE
        self.assigned_to: int | None = None
        self.incidents: dict[int, str] = {}
        self.unit_id = 0  # set by arrange()

    @initialize()
    def arrange(self) -> None:
        """A fresh unit and two fresh incidents for every example."""
        callsign = f"E{next(_callsigns)}"
        self.unit_id = support.unit(self.client, self.crew.supervisor, callsign)["id"]
        for _ in range(2):
            created = support.incident(self.client, self.headers)
            self.incidents[created["id"]] = created["status"]

    def _refused(self, response: Any, current: UnitStatus) -> None:
        body = support.ok(response, 409)
        assert body["allowed"] == sorted(s.value for s in ALLOWED[current]), body

    def _freed(self) -> None:
        """The unit left its incident: with no unit left, a dispatched one is pending."""
        assert self.assigned_to is not None
        if self.incidents[self.assigned_to] == "dispatched":
            self.incidents[self.assigned_to] = "pending"
        self.assigned_to = None

    def _accepted(self) -> frozenset[UnitStatus]:
        """What POST /api/units/{id}/status takes now: the machine's moves, except
        dispatch (its own route) and, without an incident, anything but going free."""
        legal = ALLOWED[self.status] - {S.DISPATCHED}
        return legal if self.assigned_to is not None else legal & (FREE | {S.OUT_OF_SERVICE})

    @rule(to=statuses)
    def report_any_status(self, to: UnitStatus) -> None:
        self._report(to)

    @rule(data=st.data())
    def move_on(self, data: st.DataObject) -> None:
        """A move the machine allows (dispatch included), so walks get deep."""
        moves: list[UnitStatus] = sorted(ALLOWED[self.status])
        to = data.draw(st.sampled_from(moves), label="to")
        if to is S.DISPATCHED and self.status in ASSIGNABLE:
            self.dispatch(data.draw(st.integers(0, 1), label="which"))
        else:
            self._report(to)

    def _report(self, to: UnitStatus) -> None:
        event(f"{self.status.value} -> {to.value}")
        response = support.set_status(self.client, self.headers, self.unit_id, to.value)
        if to not in self._accepted():
            self._refused(response, self.status)
            return
        assert support.ok(response)["status"] == to.value
        self.status = to
        if self.assigned_to is not None:
            if to in FREE:
                self._freed()
            elif to in ARRIVED:
                self.incidents[self.assigned_to] = "on_scene"

    @rule(which=st.integers(0, 1))
    def dispatch(self, which: int) -> None:
        target = sorted(self.incidents)[which]
        response = support.assign(self.client, self.headers, target, self.unit_id)
        if self.status not in ASSIGNABLE:
            self._refused(response, self.status)
            return
        [made] = support.ok(response, 201)
        assert (made["unit_id"], made["incident_id"], made["ended_at"]) == (
            self.unit_id,
            target,
            None,
        )
        self.status, self.assigned_to = S.DISPATCHED, target
        if self.incidents[target] != "on_scene":
            self.incidents[target] = "dispatched"

    @precondition(lambda self: self.assigned_to is not None)
    @rule(which=st.integers(0, 1))
    def cancel(self, which: int) -> None:
        target = sorted(self.incidents)[which]
        response = self.client.delete(
            f"/api/incidents/{target}/units/{self.unit_id}", headers=self.headers
        )
        if self.assigned_to != target:
            support.ok(response, 409)
            return
        if self.status not in REASSIGNABLE:
            self._refused(response, self.status)
            return
        assert support.ok(response)["status"] == S.AVAILABLE_ON_RADIO.value
        self.status = S.AVAILABLE_ON_RADIO
        self._freed()

    @invariant()
    def database_matches_the_model(self) -> None:
        with self.runtime.sessions() as db:
            unit = db.get(Unit, self.unit_id)
            active = db.scalars(
                select(Assignment.incident_id).where(
                    Assignment.unit_id == self.unit_id, Assignment.ended_at.is_(None)
                )
            ).all()
            query = select(Incident.id, Incident.status).where(Incident.id.in_(self.incidents))
            incidents = {row.id: row.status for row in db.execute(query)}
        assert unit is not None
        assert unit.status == self.status.value
        assert list(active) == ([] if self.assigned_to is None else [self.assigned_to])
        assert (self.assigned_to is not None) == (self.status in COMMITTED)
        assert incidents == self.incidents


def test_api_follows_the_status_machine(client: TestClient, world: World, runtime: Runtime) -> None:
    crew = support.crew(world, "MACHINE")

    class OnThisDatabase(UnitOverHttp):
        def __init__(self) -> None:
            super().__init__(client, crew, runtime)

    run_state_machine_as_test(
        OnThisDatabase,
        settings=settings(
            max_examples=15,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
