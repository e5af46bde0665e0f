"""Travel times and routes over a :class:`RoadGraph` with scipy's sparse Dijkstra. Pure.

Points are snapped to road segments, so a trip can start or end part-way along one.
Closed segments are left out of the graph the moment they are closed and come back
when their closure ends.
"""

from __future__ import annotations

import itertools
import math
import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from signalfire.geo.roads import FloatArray, IntArray, RoadGraph, Snap

UNREACHABLE = math.inf


@dataclass(frozen=True, slots=True)
class Closure:
    """Segment ``edge`` (both directions) impassable from ``start`` until ``end``."""

    edge: int
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """A trip: seconds, metres, and the path as (lat, lon) points."""

    seconds: float
    metres: float
    path: list[tuple[float, float]]


@dataclass(frozen=True, slots=True)
class _Ends:
    """How a snapped point connects to the graph: (node, extra seconds, extra metres)."""

    nodes: list[tuple[int, float, float]]


class Router:
    """Answers travel-time questions on one road graph; thread-safe."""

    def __init__(self, graph: RoadGraph) -> None:
        self.graph = graph
        self._reverse = graph.reverse_edge()
        self._closures: list[Closure] = []
        self._lock = threading.Lock()
        self._cached: tuple[frozenset[int], csr_matrix, csr_matrix, csr_matrix] | None = None

    # --- closures -----------------------------------------------------------------------

    def close(self, closure: Closure) -> None:
        """Make a segment impassable (both directions) for the closure's period."""
        with self._lock:
            self._closures.append(closure)

    def reopen(self, edge: int) -> None:
        """End every closure of ``edge`` now."""
        with self._lock:
            self._closures = [c for c in self._closures if c.edge != edge]

    def closed_edges(self, now: datetime) -> frozenset[int]:
        """Edges impassable at ``now`` (each closure closes the segment both ways)."""
        closed: set[int] = set()
        for c in self._closures:
            if c.start <= now and (c.end is None or now < c.end):
                closed.add(c.edge)
                if self._reverse[c.edge] >= 0:
                    closed.add(int(self._reverse[c.edge]))
        return frozenset(closed)

    def _matrices(self, now: datetime) -> tuple[frozenset[int], csr_matrix, csr_matrix, csr_matrix]:
        """(closed edges, time matrix, its transpose, length matrix) for ``now``."""
        with self._lock:
            closed = self.closed_edges(now)
            if self._cached is None or self._cached[0] != closed:
                g = self.graph
                keep = np.ones(g.edge_count, dtype=bool)
                keep[list(closed)] = False
                times = _matrix(g.u[keep], g.v[keep], g.travel_s[keep], g.node_count)
                lengths = _matrix(g.u[keep], g.v[keep], g.length_m[keep], g.node_count)
                self._cached = (closed, times, times.T.tocsr(), lengths)
            return self._cached

    # --- queries ------------------------------------------------------------------------

    def _exits(self, snap: Snap, closed: frozenset[int]) -> _Ends:
        """Ways out of a snapped point: along its edge forwards, or back if two-way."""
        g, e, t = self.graph, snap.edge, snap.fraction
        ends = _at_node(g, snap)
        if e not in closed:
            ends.append((int(g.v[e]), (1 - t) * g.travel_s[e], (1 - t) * g.length_m[e]))
        back = int(self._reverse[e])
        if back >= 0 and back not in closed:
            ends.append((int(g.u[e]), t * g.travel_s[back], t * g.length_m[back]))
        return _Ends(ends)

    def _entries(self, snap: Snap, closed: frozenset[int]) -> _Ends:
        """Ways into a snapped point: from its edge's start, or its end if two-way."""
        g, e, t = self.graph, snap.edge, snap.fraction
        ends = _at_node(g, snap)
        if e not in closed:
            ends.append((int(g.u[e]), t * g.travel_s[e], t * g.length_m[e]))
        back = int(self._reverse[e])
        if back >= 0 and back not in closed:
            ends.append((int(g.v[e]), (1 - t) * g.travel_s[back], (1 - t) * g.length_m[back]))
        return _Ends(ends)

    def _same_edge(self, a: Snap, b: Snap, closed: frozenset[int]) -> float:
        """Seconds along a shared segment without touching a node, if possible."""
        g = self.graph
        if a.edge == b.edge and a.edge not in closed and b.fraction >= a.fraction:
            return (b.fraction - a.fraction) * float(g.travel_s[a.edge])
        back = int(self._reverse[a.edge])
        if back >= 0 and b.edge == a.edge and back not in closed and b.fraction < a.fraction:
            return (a.fraction - b.fraction) * float(g.travel_s[back])
        return UNREACHABLE

    def times_to(
        self, target: Snap, origins: list[Snap], now: datetime, *, limit_s: float = np.inf
    ) -> FloatArray:
        """Seconds from each origin to ``target`` (``inf`` when unreachable or beyond
        ``limit_s``): one search on the reversed graph, however many origins."""
        closed, _times, reverse, _lengths = self._matrices(now)
        entries = self._entries(target, closed).nodes
        if not entries:
            return np.full(len(origins), UNREACHABLE)
        rows = dijkstra(reverse, directed=True, indices=[n for n, _s, _m in entries], limit=limit_s)
        to_target = np.min(rows + np.array([[s] for _n, s, _m in entries]), axis=0)
        result = np.full(len(origins), UNREACHABLE)
        for i, origin in enumerate(origins):
            best = self._same_edge(origin, target, closed)
            for node, seconds, _metres in self._exits(origin, closed).nodes:
                best = min(best, seconds + float(to_target[node]))
            result[i] = best if best <= limit_s else UNREACHABLE
        return result

    def route(self, origin: Snap, target: Snap, now: datetime) -> Route | None:
        """Fastest route from ``origin`` to ``target``, or ``None`` if none exists."""
        closed, times, _reverse, lengths = self._matrices(now)
        direct = self._same_edge(origin, target, closed)
        exits = self._exits(origin, closed).nodes
        entries = self._entries(target, closed).nodes
        best: tuple[float, int, int] | None = None
        if exits:
            dist, pred = dijkstra(
                times, directed=True, indices=[n for n, _s, _m in exits], return_predecessors=True
            )
            for row, (_start, out_s, _out_m) in enumerate(exits):
                for node, in_s, _in_m in entries:
                    total = out_s + float(dist[row, node]) + in_s
                    if best is None or total < best[0]:
                        best = (total, row, node)
        start = (origin.lat, origin.lon)
        finish = (target.lat, target.lon)
        if best is None or direct <= best[0]:
            if math.isinf(direct):
                return None
            metres = abs(target.fraction - origin.fraction) * float(
                self.graph.length_m[origin.edge]
            )
            return Route(direct, metres, [start, finish])
        total, row, last = best
        if math.isinf(total):
            return None
        nodes = _walk_back(pred[row], exits[row][0], last)
        metres = exits[row][2] + entries[[n for n, _s, _m in entries].index(last)][2]
        metres += sum(float(lengths[a, b]) for a, b in itertools.pairwise(nodes))
        g = self.graph
        return Route(
            total, metres, [start, *((float(g.lat[n]), float(g.lon[n])) for n in nodes), finish]
        )

    def reachable_within(self, origin: Snap, seconds: float, now: datetime) -> IntArray:
        """Nodes reachable from ``origin`` within ``seconds`` (for coverage maps)."""
        closed, times, _reverse, _lengths = self._matrices(now)
        exits = self._exits(origin, closed).nodes
        if not exits:
            return np.array([], dtype=np.int64)
        rows = dijkstra(times, directed=True, indices=[n for n, _s, _m in exits], limit=seconds)
        best = np.min(rows + np.array([[s] for _n, s, _m in exits]), axis=0)
        return np.flatnonzero(best <= seconds).astype(np.int64)


def _at_node(graph: RoadGraph, snap: Snap) -> list[tuple[int, float, float]]:
    """A point at either end of its segment is that node itself, at no cost."""
    if snap.fraction <= 0.0:
        return [(int(graph.u[snap.edge]), 0.0, 0.0)]
    if snap.fraction >= 1.0:
        return [(int(graph.v[snap.edge]), 0.0, 0.0)]
    return []


def _matrix(u: IntArray, v: IntArray, weight: FloatArray, n: int) -> csr_matrix:
    """Sparse adjacency keeping the smallest weight of parallel segments."""
    order = np.lexsort((weight, v, u))
    u, v, weight = u[order], v[order], weight[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    # Zero-weight edges would vanish from a sparse matrix; keep them as a tiny cost.
    return csr_matrix((np.maximum(weight[first], 1e-6), (u[first], v[first])), shape=(n, n))


def _walk_back(predecessors: IntArray, start: int, end: int) -> list[int]:
    nodes = [end]
    while nodes[-1] != start:
        previous = int(predecessors[nodes[-1]])
        if previous < 0:
            break
        nodes.append(previous)
    return nodes[::-1]
