"""Road closures, station coverage, geocoding and the base map, over pure ``geo``.

The road network (:class:`~signalfire.geo.network.RoadNetwork`) is the install's, loaded
once per process. Closures live in the ``road_closures`` table, the one record every
process shares; each process's router follows it through :func:`sync_router`, which
routing code calls before it computes travel times (a cheap check that reloads only
when the table changed). A closure's event publishes after the request commits.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime

import numpy as np
from scipy.spatial import ConvexHull
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Invalid, NotFound
from signalfire.core.events import emit
from signalfire.geo.network import RoadNetwork
from signalfire.geo.roads import RoadGraph
from signalfire.geo.routing import Closure, Router
from signalfire.roads.events import RoadClosed, RoadReopened
from signalfire.roads.models import RoadClosure
from signalfire.roads.schemas import ClosureCreate, ClosureRead, Coverage, PlaceRead, RoadMap
from signalfire.units import service as units

#: A closure's point must lie this close to a road (metres).
MAX_SNAP_M = 100.0


def _read(graph: RoadGraph, row: RoadClosure) -> ClosureRead:
    a, b = int(graph.u[row.edge]), int(graph.v[row.edge])
    return ClosureRead(
        edge=row.edge,
        street=row.street,
        lat=float((graph.lat[a] + graph.lat[b]) / 2),
        lon=float((graph.lon[a] + graph.lon[b]) / 2),
        start=row.starts_at,
        end=row.until,
    )


def _in_force(now: datetime) -> ColumnElement[bool]:
    """Not reopened, and not past its end at ``now``."""
    return (RoadClosure.reopened_at.is_(None)) & (
        or_(RoadClosure.until.is_(None), RoadClosure.until > now)
    )


def _open_rows(db: Session, graph: RoadGraph, now: datetime) -> Sequence[RoadClosure]:
    """Closures in force at ``now`` on segments of ``graph`` (a closure stored against
    another extract's graph names no segment of this one)."""
    rows = db.scalars(select(RoadClosure).where(_in_force(now)).order_by(RoadClosure.id))
    return [row for row in rows if 0 <= row.edge < graph.edge_count]


def active_closures(*, db: Session, network: RoadNetwork) -> list[ClosureRead]:
    """Road segments closed now, as stored (every replica's closures)."""
    now = clock.now()
    graph = network.graph
    return [_read(graph, row) for row in _open_rows(db, graph, now) if row.starts_at <= now]


def close(*, db: Session, actor: Actor, network: RoadNetwork, data: ClosureCreate) -> ClosureRead:
    """Close the road segment nearest the point; routing avoids it as soon as the
    request commits (each router picks it up on its next :func:`sync_router`)."""
    graph = network.graph
    snap = graph.snap(data.lat, data.lon)
    if snap.distance_m > MAX_SNAP_M:
        raise Invalid(f"no road within {MAX_SNAP_M:.0f} m of that point", field="lat")
    street = graph.names[snap.edge]
    row = RoadClosure(
        agency_id=actor.agency_id,
        edge=snap.edge,
        street=street or "unnamed road",
        reason=data.reason,
        starts_at=clock.now(),
        until=data.until,
        closed_by=actor.user_id,
    )
    db.add(row)
    db.flush()
    emit(
        db,
        RoadClosed(
            actor=actor.ref(),
            agency_id=actor.agency_id,
            record_type="road",
            record_id=str(snap.edge),
            edge=snap.edge,
            street=street,
            until=data.until,
            reason=data.reason,
        ),
    )
    return _read(graph, row)


def reopen(*, db: Session, actor: Actor, edge: int) -> None:
    """End every closure of ``edge`` in force; a 404 when it is not closed."""
    now = clock.now()
    rows = db.scalars(
        select(RoadClosure).where(RoadClosure.edge == edge, _in_force(now)).with_for_update()
    ).all()
    if not rows:
        raise NotFound(f"road segment {edge} is not closed")
    for row in rows:
        row.reopened_at = now
        row.reopened_by = actor.user_id
    db.flush()
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


def _table_version(db: Session) -> Hashable:
    """A fingerprint of the closure table that changes whenever a closure is added,
    reopened or removed (ids and times included, so a rolled-back insert whose id is
    used again by the next one still reads as a change)."""
    row = db.execute(
        select(
            func.count(),
            func.max(RoadClosure.id),
            func.count(RoadClosure.reopened_at),
            func.max(RoadClosure.starts_at),
            func.max(RoadClosure.reopened_at),
        )
    ).one()
    return tuple(row)


def sync_router(*, db: Session, network: RoadNetwork) -> Router:
    """The network's router with its closures made equal to the table's, ready to route.

    One small aggregate query when nothing changed; the closures are reloaded only when
    the table's fingerprint differs from the one the router last loaded. The fingerprint
    is read before the rows, so a change between the two only causes one more reload.
    Call it from a session that has not itself written closures (a request that closes
    a road does not route), so an uncommitted closure never reaches the router.
    """
    router = network.router()
    version = _table_version(db)
    if version != router.closure_version:
        rows = _open_rows(db, router.graph, clock.now())
        router.replace_closures(
            (Closure(row.edge, row.starts_at, row.until) for row in rows), version=version
        )
    return router


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
    road = sync_router(db=db, network=network)
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
