"""Road closures live in the database: they survive a restart, one replica's closure
is honoured by another's routing, reopening ends it for all, a rolled-back request
leaves nothing behind, expired closures are not in force, and each change is audited."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from signalfire.core import clock
from signalfire.core.audit.models import AuditEntry
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.config import load_settings
from signalfire.core.db import transaction
from signalfire.core.errors import NotFound
from signalfire.core.runtime import Runtime, build_runtime
from signalfire.geo.roads import RoadGraph, Snap
from signalfire.geo.routing import Router
from signalfire.roads import service
from signalfire.roads.models import RoadClosure
from signalfire.roads.schemas import ClosureCreate
from tests.conftest import Clock, World


class Boom(RuntimeError):
    """Raised to make a request fail after its closure was written."""


@pytest.fixture
def replica(database_url: str, road_cache: Path, tmp_path: Path) -> Iterator[Runtime]:
    """A second runtime on the same database: another server process, or the first
    one after a restart."""
    rt = build_runtime(
        load_settings(
            database={"url": database_url},
            data_dir=tmp_path / "replica",
            geo={"cache_dir": road_cache, "preload": False},
        )
    )
    yield rt
    rt.engine.dispose()


def _dispatcher(world: World) -> Actor:
    agency = world.agency("ROADS")
    return Actor(None, "roads", agency.id, frozenset({Role.DISPATCHER}), "cli")


def _two_way_edges(graph: RoadGraph) -> Iterator[int]:
    """Long two-way segments from the middle of the graph on, each road once (one of
    its two directions) and each where a closure at its middle lands on it."""
    reverse = graph.reverse_edge()
    for edge in range(graph.edge_count // 2, graph.edge_count):
        long_and_once = edge < reverse[edge] and graph.length_m[edge] > 40
        if long_and_once and graph.snap(*_midpoint(graph, edge)).edge in (edge, reverse[edge]):
            yield edge


def _midpoint(graph: RoadGraph, edge: int) -> tuple[float, float]:
    a, b = int(graph.u[edge]), int(graph.v[edge])
    return float((graph.lat[a] + graph.lat[b]) / 2), float((graph.lon[a] + graph.lon[b]) / 2)


def _closure_at(graph: RoadGraph, edge: int, **extra: object) -> ClosureCreate:
    lat, lon = _midpoint(graph, edge)
    return ClosureCreate.model_validate({"lat": lat, "lon": lon, "reason": "flooding"} | extra)


def _synced(rt: Runtime) -> Router:
    with rt.reader() as db:
        return service.sync_router(db=db, network=rt.roads)


def _closed_edges(rt: Runtime) -> set[int]:
    return {c.edge for c in _synced(rt).active_closures(clock.now())}


def _close(rt: Runtime, actor: Actor, data: ClosureCreate) -> int:
    with transaction(rt.sessions) as db:
        return service.close(db=db, actor=actor, network=rt.roads, data=data).edge


def _trip(rt: Runtime, origin: Snap, target: Snap) -> float:
    router = _synced(rt)
    return float(router.times_to(target, [origin], clock.now())[0])


def _reachable_from(rt: Runtime, origin: Snap) -> Snap:
    """A point on another segment that ``origin`` reaches by road."""
    graph = rt.roads.graph
    for node in range(0, graph.node_count, 97):
        target = graph.snap(float(graph.lat[node]), float(graph.lon[node]))
        if target.edge != origin.edge and math.isfinite(_trip(rt, origin, target)):
            return target
    raise AssertionError("no reachable point found")


def _failing_close(rt: Runtime, actor: Actor, data: ClosureCreate, *, sync: bool) -> None:
    """A request that closes a road (and, if ``sync``, routes in the same transaction),
    then fails."""
    with transaction(rt.sessions) as db:
        service.close(db=db, actor=actor, network=rt.roads, data=data)
        if sync:
            service.sync_router(db=db, network=rt.roads)
        raise Boom


def test_a_closure_survives_a_restart(
    runtime: Runtime, world: World, database_url: str, road_cache: Path, tmp_path: Path
) -> None:
    actor = _dispatcher(world)
    edge = next(_two_way_edges(runtime.roads.graph))
    closed = _close(runtime, actor, _closure_at(runtime.roads.graph, edge))
    runtime.engine.dispose()  # the first process is gone

    restarted = build_runtime(
        load_settings(
            database={"url": database_url},
            data_dir=tmp_path / "restarted",
            geo={"cache_dir": road_cache, "preload": False},
        )
    )
    try:
        assert _closed_edges(restarted) == {closed}
        with restarted.reader() as db:
            listed = service.active_closures(db=db, network=restarted.roads)
        assert [(c.edge, c.end) for c in listed] == [(closed, None)]
    finally:
        restarted.engine.dispose()


def test_one_replicas_closure_is_honoured_by_the_others_routing_until_reopened(
    runtime: Runtime, replica: Runtime, world: World
) -> None:
    actor = _dispatcher(world)
    graph = runtime.roads.graph
    edge = next(_two_way_edges(graph))
    origin = graph.snap(*_midpoint(graph, edge))
    target = _reachable_from(replica, origin)
    before = _trip(replica, origin, target)  # the replica has routed (and synced) already

    closed = _close(runtime, actor, _closure_at(graph, edge))
    assert _closed_edges(replica) == {closed}
    assert _trip(replica, origin, target) > before  # boxed in: no way off the segment

    with transaction(replica.sessions) as db:  # reopened through the other replica
        service.reopen(db=db, actor=actor, edge=closed)
    assert _closed_edges(runtime) == set()
    assert _closed_edges(replica) == set()
    assert _trip(runtime, origin, target) == pytest.approx(before)
    assert _trip(replica, origin, target) == pytest.approx(before)


def test_reopening_ends_every_closure_of_the_segment(runtime: Runtime, world: World) -> None:
    actor = _dispatcher(world)
    edge = next(_two_way_edges(runtime.roads.graph))
    first = _close(runtime, actor, _closure_at(runtime.roads.graph, edge))
    again = _close(runtime, actor, _closure_at(runtime.roads.graph, edge, reason="and a crash"))
    assert first == again
    with transaction(runtime.sessions) as db:
        service.reopen(db=db, actor=actor, edge=first)
    with runtime.reader() as db:
        rows = db.scalars(select(RoadClosure)).all()
        assert service.active_closures(db=db, network=runtime.roads) == []
    assert len(rows) == 2
    assert all(r.reopened_at is not None for r in rows)
    assert _closed_edges(runtime) == set()
    with transaction(runtime.sessions) as db, pytest.raises(NotFound):
        service.reopen(db=db, actor=actor, edge=first)


def test_a_rolled_back_closure_never_reaches_the_router(runtime: Runtime, world: World) -> None:
    actor = _dispatcher(world)
    graph = runtime.roads.graph
    edges = _two_way_edges(graph)
    lost, kept = next(edges), next(edges)
    with pytest.raises(Boom):
        _failing_close(runtime, actor, _closure_at(graph, lost), sync=False)
    assert _closed_edges(runtime) == set()

    # Worse: a router synced inside the failing transaction saw the closure. After the
    # rollback, the next closure may be given the same id; the router must still notice.
    with pytest.raises(Boom):
        _failing_close(runtime, actor, _closure_at(graph, lost), sync=True)
    kept = _close(runtime, actor, _closure_at(graph, kept))
    assert _closed_edges(runtime) == {kept}
    with runtime.reader() as db:
        assert db.scalars(select(RoadClosure.edge)).all() == [kept]


def test_a_closure_past_its_end_is_not_in_force(
    runtime: Runtime, world: World, frozen_clock: Clock
) -> None:
    actor = _dispatcher(world)
    edge = next(_two_way_edges(runtime.roads.graph))
    until = clock.now() + timedelta(minutes=10)
    closed = _close(runtime, actor, _closure_at(runtime.roads.graph, edge, until=until))
    assert _closed_edges(runtime) == {closed}
    frozen_clock.advance(minutes=11)
    assert _closed_edges(runtime) == set()
    with runtime.reader() as db:
        assert service.active_closures(db=db, network=runtime.roads) == []
    with transaction(runtime.sessions) as db, pytest.raises(NotFound):
        service.reopen(db=db, actor=actor, edge=closed)


def test_closing_and_reopening_are_stored_and_audited(runtime: Runtime, world: World) -> None:
    actor = _dispatcher(world)
    edge = next(_two_way_edges(runtime.roads.graph))
    closed = _close(runtime, actor, _closure_at(runtime.roads.graph, edge))
    with transaction(runtime.sessions) as db:
        service.reopen(db=db, actor=actor, edge=closed)
    with runtime.reader() as db:
        row = db.scalars(select(RoadClosure)).one()
        trail = db.execute(
            select(AuditEntry.action, AuditEntry.record_id)
            .where(AuditEntry.record_type == "road")
            .order_by(AuditEntry.seq)
        ).all()
    assert (row.edge, row.reason, row.agency_id) == (closed, "flooding", actor.agency_id)
    assert row.reopened_at is not None
    assert row.reopened_at >= row.starts_at
    assert [tuple(t) for t in trail] == [
        ("road.closed", str(closed)),
        ("road.reopened", str(closed)),
    ]
