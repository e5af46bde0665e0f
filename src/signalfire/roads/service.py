"""Road closures, station coverage, geocoding and the base map, over pure ``geo``.

The road network (:class:`~signalfire.geo.network.RoadNetwork`) is the install's, loaded
once per process; closures apply to its router at once and are announced as events
that publish after the request commits.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Invalid, NotFound
from signalfire.core.events import emit
from signalfire.geo.network import RoadNetwork
from signalfire.geo.roads import RoadGraph
from signalfire.geo.routing import Closure
from signalfire.roads.events import RoadClosed, RoadReopened
from signalfire.roads.schemas import ClosureCreate, ClosureRead, Coverage, PlaceRead, RoadMap
from signalfire.units import service as units

#: A closure's point must lie this close to a road (metres).
MAX_SNAP_M = 100.0


def _read(graph: RoadGraph, closure: Closure) -> ClosureRead:
    a, b = int(graph.u[closure.edge]), int(graph.v[closure.edge])
    return ClosureRead(
        edge=closure.edge,
        street=graph.names[closure.edge] or "unnamed road",
        lat=float((graph.lat[a] + graph.lat[b]) / 2),
        lon=float((graph.lon[a] + graph.lon[b]) / 2),
        start=closure.start,
        end=closure.end,
    )


def active_closures(*, network: RoadNetwork) -> list[ClosureRead]:
    """Road segments closed now."""
    graph = network.graph
    return [_read(graph, c) for c in network.router().active_closures(clock.now())]


def close(*, db: Session, actor: Actor, network: RoadNetwork, data: ClosureCreate) -> ClosureRead:
    """Close the road segment nearest the point; routing avoids it at once."""
    graph = network.graph
    snap = graph.snap(data.lat, data.lon)
    if snap.distance_m > MAX_SNAP_M:
        raise Invalid(f"no road within {MAX_SNAP_M:.0f} m of that point", field="lat")
    closure = Closure(snap.edge, clock.now(), data.until)
    network.router().close(closure)
    emit(
        db,
        RoadClosed(
            actor=actor.ref(),
            agency_id=actor.agency_id,
            record_type="road",
            record_id=str(snap.edge),
            edge=snap.edge,
            street=graph.names[snap.edge],
            until=data.until,
            reason=data.reason,
        ),
    )
    return _read(graph, closure)


def reopen(*, db: Session, actor: Actor, network: RoadNetwork, edge: int) -> None:
    """Open a closed segment again; a 404 when it is not closed."""
    road = network.router()
    if not any(c.edge == edge for c in road.active_closures(clock.now())):
        raise NotFound(f"road segment {edge} is not closed")
    road.reopen(edge)
    emit(
        db,
        RoadReopened(
            actor=actor.ref(),
            agency_id=actor.agency_id,
            record_type="road",
            record_id=str(edge),
            edge=edge,
        ),
    )


def geocode(*, network: RoadNetwork, text: str, limit: int) -> list[PlaceRead]:
    """Addresses, streets and intersections matching ``text``, best first (offline)."""
    return [PlaceRead.model_validate(p) for p in network.geocoder().search(text, limit)]


def reverse_geocode(*, network: RoadNetwork, lat: float, lon: float) -> PlaceRead | None:
    """The nearest known address, or ``None`` when none is within 500 m."""
    place = network.geocoder().reverse(lat, lon)
    return PlaceRead.model_validate(place) if place else None


def station_coverage(
    *, db: Session, actor: Actor, network: RoadNetwork, station_id: int, minutes: float
) -> Coverage:
    """The area a unit leaving the station reaches within ``minutes`` by road."""
    station = next((s for s in units.list_stations(db=db, actor=actor) if s.id == station_id), None)
    if station is None:
        raise NotFound(f"no station with id {station_id}")
    road = network.router()
    graph = road.graph
    nodes = road.reachable_within(graph.snap(station.lat, station.lon), minutes * 60, clock.now())
    points = np.column_stack((graph.lat[nodes], graph.lon[nodes]))
    polygon: list[tuple[float, float]] = []
    if len(points) >= 3:
        hull = ConvexHull(points)
        polygon = [(float(points[i, 0]), float(points[i, 1])) for i in hull.vertices]
    return Coverage(
        station_id=station.id, minutes=minutes, reachable_nodes=len(nodes), polygon=polygon
    )


def road_map(*, network: RoadNetwork) -> RoadMap:
    """The install's roads as straight segments, each two-way road once."""
    graph = network.graph
    pairs = {
        (min(a, b), max(a, b)) for a, b in zip(graph.u.tolist(), graph.v.tolist(), strict=True)
    }
    lat, lon = graph.lat, graph.lon
    return RoadMap(
        segments=[
            (
                round(float(lat[a]), 6),
                round(float(lon[a]), 6),
                round(float(lat[b]), 6),
                round(float(lon[b]), 6),
            )
            for a, b in sorted(pairs)
        ]
    )
