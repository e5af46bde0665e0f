"""Travel times and routes over a :class:`RoadGraph` with scipy's sparse Dijkstra. Pure.

Points are snapped to road segments, so a trip can start or end part-way along one.
Closed segments are left out of the graph the moment they are closed and come back
when their closure ends.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
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
    """A trip: seconds, metres, the path as (lat, lon) points, and the seconds from the
    start at which each point is passed."""

    seconds: float
    metres: float
    path: list[tuple[float, float]]
    times: list[float]


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
        self._version: Hashable = None
        self._lock = threading.Lock()
        self._cached: _Net | None = None

    # --- closures -----------------------------------------------------------------------

    def close(self, closure: Closure) -> None:
        """Make a segment impassable (both directions) for the closure's period."""
        with self._lock:
            self._closures.append(closure)

    def reopen(self, edge: int) -> None:
        """End every closure of ``edge`` now."""
        with self._lock:
            self._closures = [c for c in self._closures if c.edge != edge]

    def replace_closures(self, closures: Iterable[Closure], *, version: Hashable = None) -> None:
        """Make the closures exactly ``closures`` (a store's copy), remembering the
        store's ``version`` of them (see :attr:`closure_version`)."""
        kept = list(closures)
        with self._lock:
            self._closures = kept
            self._version = version

    @property
    def closure_version(self) -> Hashable:
        """The ``version`` of the last :meth:`replace_closures` (``None`` before any)."""
        with self._lock:
            return self._version

    def active_closures(self, now: datetime) -> list[Closure]:
        """Closures in force at ``now``."""
        with self._lock:
            return [c for c in self._closures if c.start <= now and (c.end is None or now < c.end)]

    def closed_edges(self, now: datetime) -> frozenset[int]:
        """Edges impassable at ``now`` (each closure closes the segment both ways)."""
        closed: set[int] = set()
        for c in self._closures:
            if c.start <= now and (c.end is None or now < c.end):
                closed.add(c.edge)
                if self._reverse[c.edge] >= 0:
                    closed.add(int(self._reverse[c.edge]))
        return frozenset(closed)

    def _network(self, now: datetime) -> _Net:
        """The graph as searchable at ``now`` (rebuilt only when closures change)."""
        with self._lock:
            closed = self.closed_edges(now)
            if self._cached is None or self._cached.closed != closed:
                self._cached = _Net.build(self.graph, closed)
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
        ``limit_s``)."""
        return self.trips_to(target, origins, now, limit_s=limit_s)[0]

    def trips_to(
        self, target: Snap, origins: list[Snap], now: datetime, *, limit_s: float = np.inf
    ) -> tuple[FloatArray, FloatArray]:
        """Seconds and road metres of the fastest trip from each origin to ``target``.

        One search on the reversed graph serves every origin, however many.
        """
        net = self._network(now)
        seconds = np.full(len(origins), UNREACHABLE)
        metres = np.full(len(origins), UNREACHABLE)
        entries = self._entries(target, net.closed).nodes
        if entries:
            # One search from a virtual node joined to the target's entry nodes by the
            # part-segment times, so every entry counts with its own offset.
            rows, preds = dijkstra(
                net.reverse_from(entries),
                directed=True,
                limit=limit_s,
                indices=[net.node_count],
                return_predecessors=True,
            )
            to_target, pred = rows[0], preds[0]
            walk = _MetresToTarget(net, pred, {n: m for n, _s, m in entries})
        for i, origin in enumerate(origins):
            best = (
                self._same_edge(origin, target, net.closed),
                self._same_edge_metres(origin, target),
            )
            for node, out_s, out_m in self._exits(origin, net.closed).nodes if entries else []:
                total = out_s + float(to_target[node])
                if total < best[0]:
                    best = (total, out_m + walk.metres(node))
            if best[0] <= limit_s:
                seconds[i], metres[i] = best
        return seconds, metres

    def _same_edge_metres(self, a: Snap, b: Snap) -> float:
        return abs(b.fraction - a.fraction) * float(self.graph.length_m[a.edge])

    def route(self, origin: Snap, target: Snap, now: datetime) -> Route | None:
        """Fastest route from ``origin`` to ``target``, or ``None`` if none exists."""
        net = self._network(now)
        closed = net.closed
        direct = self._same_edge(origin, target, closed)
        exits = self._exits(origin, closed).nodes
        entries = self._entries(target, closed).nodes
        best: tuple[float, int, int] | None = None
        if exits:
            dist, pred = dijkstra(
                net.times,
                directed=True,
                indices=[n for n, _s, _m in exits],
                return_predecessors=True,
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
            metres = self._same_edge_metres(origin, target)
            return Route(direct, metres, [start, finish], [0.0, direct])
        total, row, last = best
        if math.isinf(total):
            return None
        nodes = _walk_back(pred[row], exits[row][0], last)
        metres = exits[row][2] + entries[[n for n, _s, _m in entries].index(last)][2]
        metres += sum(net.step_metres(a, b) for a, b in itertools.pairwise(nodes))
        g = self.graph
        times = [0.0, exits[row][1]]
        for a, b in itertools.pairwise(nodes):
            times.append(times[-1] + net.step_seconds(a, b))
        times.append(total)
        path = [start, *((float(g.lat[n]), float(g.lon[n])) for n in nodes), finish]
        return Route(total, metres, path, times)

    def reachable_within(self, origin: Snap, seconds: float, now: datetime) -> IntArray:
        """Nodes reachable from ``origin`` within ``seconds`` (for coverage maps)."""
        net = self._network(now)
        exits = self._exits(origin, net.closed).nodes
        if not exits:
            return np.array([], dtype=np.int64)
        rows = dijkstra(net.times, directed=True, indices=[n for n, _s, _m in exits], limit=seconds)
        best = np.min(rows + np.array([[s] for _n, s, _m in exits]), axis=0)
        return np.flatnonzero(best <= seconds).astype(np.int64)


@dataclass(frozen=True, slots=True)
class _Net:
    """Searchable form of the graph with some segments closed: the fastest of parallel
    segments per node pair, as a sparse matrix, its transpose, and their lengths."""

    closed: frozenset[int]
    times: csr_matrix
    reverse: csr_matrix
    keys: IntArray  # u * n + v of each kept pair, sorted
    lengths: FloatArray
    seconds: FloatArray

    @property
    def node_count(self) -> int:
        return int(self.times.shape[0])

    def reverse_from(self, entries: list[tuple[int, float, float]]) -> csr_matrix:
        """The reversed graph plus a virtual last node with an edge to each entry node,
        weighted by the seconds from that node to the point."""
        n, reverse = self.node_count, self.reverse
        indptr = np.append(reverse.indptr, reverse.indptr[-1] + len(entries))
        indices = np.append(reverse.indices, [node for node, _s, _m in entries])
        data = np.append(reverse.data, [max(seconds, 1e-9) for _n, seconds, _m in entries])
        return csr_matrix((data, indices, indptr), shape=(n + 1, n + 1))

    @classmethod
    def build(cls, graph: RoadGraph, closed: frozenset[int]) -> _Net:
        n = graph.node_count
        keep = np.ones(graph.edge_count, dtype=bool)
        keep[list(closed)] = False
        u, v = graph.u[keep], graph.v[keep]
        seconds, metres = graph.travel_s[keep], graph.length_m[keep]
        order = np.lexsort((seconds, v, u))
        u, v, seconds, metres = u[order], v[order], seconds[order], metres[order]
        first = np.ones(len(u), dtype=bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        u, v, seconds, metres = u[first], v[first], seconds[first], metres[first]
        # A zero cost would vanish from a sparse matrix; keep it as a tiny one.
        times = csr_matrix((np.maximum(seconds, 1e-6), (u, v)), shape=(n, n))
        return cls(closed, times, times.T.tocsr(), u * n + v, metres, seconds)

    def step_metres(self, a: int, b: int) -> float:
        """Length of the segment used from node ``a`` to node ``b``."""
        return float(self.lengths[self._step(a, b)])

    def step_seconds(self, a: int, b: int) -> float:
        """Travel time of the segment used from node ``a`` to node ``b``."""
        return float(self.seconds[self._step(a, b)])

    def _step(self, a: int, b: int) -> int:
        return int(np.searchsorted(self.keys, a * self.times.shape[0] + b))


class _MetresToTarget:
    """Road metres from every node to the target along the fastest-path tree.

    Computed for all nodes at once by pointer doubling (each round adds the metres of
    the next stretch and jumps twice as far), so no Python loop walks the paths.
    """

    def __init__(self, net: _Net, pred: npt.NDArray[np.int32], entry_m: dict[int, float]) -> None:
        n = net.node_count
        nodes = np.arange(n)
        following = pred[:n].astype(np.int64)
        on_road = (following >= 0) & (following < n)
        step = np.zeros(n)
        keys = nodes[on_road] * n + following[on_road]
        step[on_road] = net.lengths[np.searchsorted(net.keys, keys)]
        for node, metres in entry_m.items():  # the last stretch, part of a segment
            if following[node] == n:
                step[node] = metres
        total = step
        jump = np.where(on_road, following, -1)
        while (jump >= 0).any():
            ahead = jump >= 0
            total = np.where(ahead, total + total[np.maximum(jump, 0)], total)
            jump = np.where(ahead, jump[np.maximum(jump, 0)], -1)
        self._metres = total

    def metres(self, node: int) -> float:
        return float(self._metres[node])


def _at_node(graph: RoadGraph, snap: Snap) -> list[tuple[int, float, float]]:
    """A point at either end of its segment is that node itself, at no cost."""
    if snap.fraction <= 0.0:
        return [(int(graph.u[snap.edge]), 0.0, 0.0)]
    if snap.fraction >= 1.0:
        return [(int(graph.v[snap.edge]), 0.0, 0.0)]
    return []


def _walk_back(predecessors: IntArray, start: int, end: int) -> list[int]:
    nodes = [end]
    while nodes[-1] != start:
        previous = int(predecessors[nodes[-1]])
        if previous < 0:
            break
        nodes.append(previous)
    return nodes[::-1]
