"""Road closures through the roads service: routing avoids them at once, and their
events reach the bus only after the request commits."""

from __future__ import annotations

import asyncio

import pytest

from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.db import transaction
from signalfire.core.errors import Invalid, NotFound
from signalfire.core.events import Event, staged
from signalfire.core.runtime import Runtime
from signalfire.roads import service
from signalfire.roads.events import RoadClosed, RoadReopened
from signalfire.roads.schemas import ClosureCreate
from tests.conftest import World


def _dispatcher(world: World) -> Actor:
    agency = world.agency("ROADS")
    return Actor(None, "roads", agency.id, frozenset({Role.DISPATCHER}), "cli")


def test_closing_and_reopening_emit_typed_events_after_commit(
    runtime: Runtime, world: World
) -> None:
    actor = _dispatcher(world)
    network = runtime.roads
    graph = network.graph
    node = graph.node_count // 2
    data = ClosureCreate(
        lat=float(graph.lat[node]), lon=float(graph.lon[node]), reason="fire hoses"
    )

    async def scenario() -> list[Event]:
        heard = runtime.bus.subscribe(RoadClosed, RoadReopened)

        def work() -> int:
            with transaction(runtime.sessions) as db:
                closed = service.close(db=db, actor=actor, network=network, data=data)
                assert [type(e) for e in staged(db)] == [RoadClosed]
            with transaction(runtime.sessions) as db:
                listed = service.active_closures(db=db, network=network)
                assert [c.edge for c in listed] == [closed.edge]
                service.reopen(db=db, actor=actor, edge=closed.edge)
            with transaction(runtime.sessions) as db:
                assert service.active_closures(db=db, network=network) == []
            return closed.edge

        edge = await asyncio.to_thread(work)
        got = [await heard.get(2), await heard.get(2)]
        heard.close()
        assert all(e.record_id == str(edge) for e in got)
        return got

    closed, reopened = asyncio.run(scenario())
    assert isinstance(closed, RoadClosed)
    assert isinstance(reopened, RoadReopened)
    assert closed.reason == "fire hoses"
    assert closed.until is None
    assert closed.payload() == {
        "edge": closed.edge,
        "street": closed.street,
        "until": None,
        "reason": "fire hoses",
    }
    assert reopened.payload() == {"edge": closed.edge}


def test_a_point_far_from_any_road_is_refused_naming_the_field(
    runtime: Runtime, world: World
) -> None:
    actor = _dispatcher(world)
    far = ClosureCreate(lat=0.0, lon=0.0, reason="nowhere")
    with transaction(runtime.sessions) as db, pytest.raises(Invalid) as refused:
        service.close(db=db, actor=actor, network=runtime.roads, data=far)
    assert refused.value.extra == {"field": "lat"}


def test_reopening_a_road_that_is_not_closed_is_not_found(runtime: Runtime, world: World) -> None:
    actor = _dispatcher(world)
    with transaction(runtime.sessions) as db, pytest.raises(NotFound):
        service.reopen(db=db, actor=actor, edge=0)
