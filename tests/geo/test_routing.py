"""Routing agrees with networkx: on generated graphs and on Helsinki's real roads."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalfire.geo.distance import haversine_m
from signalfire.geo.roads import RoadGraph, Snap, helsinki_extract, load_or_build, read_osm
from signalfire.geo.routing import Closure, Router
from tests.geo.reference import point_to_point

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


@st.composite
def small_graphs(draw: st.DrawFn) -> RoadGraph:
    """Up to 12 nodes, random one- and two-way segments with random lengths and speeds."""
    n = draw(st.integers(2, 12))
    pairs = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.floats(5, 2000),
                st.sampled_from([10, 30, 50, 80]),
                st.booleans(),
            ),
            min_size=1,
            max_size=30,
        )
    )
    u, v, length, speed = [], [], [], []
    for a, b, metres, kmh, two_way in pairs:
        if a == b:
            continue
        for x, y in ((a, b), (b, a)) if two_way else ((a, b),):
            u.append(x)
            v.append(y)
            length.append(metres)
            speed.append(float(kmh))
    if not u:
        u, v, length, speed = [0], [1], [100.0], [30.0]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return RoadGraph(
        np.arange(n, dtype=np.int64),
        60 + rng.random(n) * 0.01,
        24 + rng.random(n) * 0.01,
        np.array(u, dtype=np.int64),
        np.array(v, dtype=np.int64),
        np.array(length),
        np.array(speed),
        [""] * len(u),
    )


def snap_on(graph: RoadGraph, edge: int, fraction: float) -> Snap:
    a, b = int(graph.u[edge]), int(graph.v[edge])
    return Snap(
        edge,
        fraction,
        0.0,
        float(graph.lat[a] + fraction * (graph.lat[b] - graph.lat[a])),
        float(graph.lon[a] + fraction * (graph.lon[b] - graph.lon[a])),
    )


def agree(ours: float, reference: float) -> bool:
    return (math.isinf(ours) and math.isinf(reference)) or math.isclose(
        ours, reference, rel_tol=1e-9, abs_tol=1e-6
    )


@settings(max_examples=150, deadline=None)
@given(small_graphs(), st.data())
def test_times_agree_with_networkx_on_generated_graphs(
    graph: RoadGraph, data: st.DataObject
) -> None:
    edges = st.integers(0, graph.edge_count - 1)
    fractions = st.sampled_from([0.0, 1.0]) | st.floats(0, 1)
    target = snap_on(graph, data.draw(edges), data.draw(fractions))
    origins = [snap_on(graph, data.draw(edges), data.draw(fractions)) for _ in range(4)]
    router = Router(graph)
    ours = router.times_to(target, origins, NOW)
    for origin, seconds in zip(origins, ours, strict=True):
        assert agree(float(seconds), point_to_point(graph, origin, target))


@settings(max_examples=60, deadline=None)
@given(small_graphs(), st.data())
def test_closures_agree_with_networkx_without_the_segment(
    graph: RoadGraph, data: st.DataObject
) -> None:
    edges = st.integers(0, graph.edge_count - 1)
    origin = snap_on(graph, data.draw(edges), data.draw(st.floats(0, 1)))
    target = snap_on(graph, data.draw(edges), data.draw(st.floats(0, 1)))
    closed_edge = data.draw(edges)
    router = Router(graph)
    router.close(Closure(closed_edge, NOW - timedelta(minutes=5), NOW + timedelta(hours=1)))
    closed = router.closed_edges(NOW)
    assert closed_edge in closed
    ours = float(router.times_to(target, [origin], NOW)[0])
    assert agree(ours, point_to_point(graph, origin, target, closed))
    later = float(router.times_to(target, [origin], NOW + timedelta(hours=2))[0])
    assert agree(later, point_to_point(graph, origin, target))


@cache
def helsinki() -> RoadGraph:
    return read_osm(helsinki_extract())


def random_snaps(graph: RoadGraph, count: int, seed: int) -> list[Snap]:
    rng = random.Random(seed)
    south, north = float(graph.lat.min()), float(graph.lat.max())
    west, east = float(graph.lon.min()), float(graph.lon.max())
    return [graph.snap(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(count)]


def test_helsinki_100_random_pairs_agree_with_networkx() -> None:
    graph = helsinki()
    router = Router(graph)
    origins, targets = random_snaps(graph, 100, 1), random_snaps(graph, 100, 2)
    reachable = 0
    for origin, target in zip(origins, targets, strict=True):
        ours = float(router.times_to(target, [origin], NOW)[0])
        assert agree(ours, point_to_point(graph, origin, target))
        reachable += not math.isinf(ours)
    assert reachable == 100  # one strongly connected network


def test_helsinki_route_geometry_and_time() -> None:
    graph = helsinki()
    router = Router(graph)
    origin, target = random_snaps(graph, 2, 7)
    route = router.route(origin, target, NOW)
    assert route is not None
    assert route.seconds == pytest.approx(float(router.times_to(target, [origin], NOW)[0]))
    assert route.path[0] == (origin.lat, origin.lon)
    assert route.path[-1] == (target.lat, target.lon)
    assert route.metres > 0


def test_route_times_follow_the_path_at_road_speed() -> None:
    graph = helsinki()
    router = Router(graph)
    for origin, target in zip(random_snaps(graph, 20, 3), random_snaps(graph, 20, 4), strict=True):
        route = router.route(origin, target, NOW)
        assert route is not None
        assert len(route.times) == len(route.path)
        assert route.times[0] == 0.0
        assert route.times[-1] == pytest.approx(route.seconds)
        assert all(b >= a for a, b in itertools.pairwise(route.times))
        # No stretch is driven faster than the fastest road allows.
        fastest = float(graph.speed_kmh.max()) / 3.6
        for (p, q), (t0, t1) in zip(
            itertools.pairwise(route.path), itertools.pairwise(route.times), strict=True
        ):
            assert haversine_m(*p, *q) <= fastest * (t1 - t0) * 1.05 + 1.0


def test_a_closure_on_the_route_changes_the_answer_at_once() -> None:
    graph = helsinki()
    router = Router(graph)
    origin, target = random_snaps(graph, 2, 11)
    before = float(router.times_to(target, [origin], NOW)[0])
    route = router.route(origin, target, NOW)
    assert route is not None
    # Close the segment the route leaves by (not the one the origin sits on).
    first_node = route.path[1]
    edge = next(
        e
        for e in range(graph.edge_count)
        if (float(graph.lat[graph.u[e]]), float(graph.lon[graph.u[e]])) == first_node
        and e != origin.edge
    )
    router.close(Closure(edge, NOW))
    after = float(router.times_to(target, [origin], NOW)[0])
    assert after >= before
    router.reopen(edge)
    assert float(router.times_to(target, [origin], NOW)[0]) == pytest.approx(before)


def test_snapping_finds_the_nearest_segment() -> None:
    graph = helsinki()
    rng = random.Random(5)
    for _ in range(50):
        lat = rng.uniform(float(graph.lat.min()), float(graph.lat.max()))
        lon = rng.uniform(float(graph.lon.min()), float(graph.lon.max()))
        snap = graph.snap(lat, lon)
        brute = min(graph.snap(lat, lon, candidates=graph.edge_count).distance_m, snap.distance_m)
        assert snap.distance_m == pytest.approx(brute, abs=0.01)


def test_bounded_search_returns_only_nodes_within_the_limit() -> None:
    graph = helsinki()
    router = Router(graph)
    origin = random_snaps(graph, 1, 3)[0]
    near = set(router.reachable_within(origin, 60, NOW).tolist())
    far = set(router.reachable_within(origin, 180, NOW).tolist())
    assert near < far
    assert len(near) > 0


def test_the_built_graph_is_cached_by_file_content(tmp_path: Path) -> None:
    first = load_or_build(helsinki_extract(), tmp_path)
    cached = list(tmp_path.glob("roads-*.npz"))
    assert len(cached) == 1
    again = load_or_build(helsinki_extract(), tmp_path)
    assert np.array_equal(first.u, again.u)
    assert np.array_equal(first.travel_s, again.travel_s)
    assert first.names == again.names


def test_one_search_gives_each_origins_time_and_road_metres() -> None:
    graph = helsinki()
    router = Router(graph)
    target = random_snaps(graph, 1, 21)[0]
    origins = random_snaps(graph, 30, 22)
    seconds, metres = router.trips_to(target, origins, NOW)
    for origin, s, m in zip(origins, seconds, metres, strict=True):
        route = router.route(origin, target, NOW)
        assert route is not None
        assert s == pytest.approx(route.seconds)
        assert m == pytest.approx(route.metres)
