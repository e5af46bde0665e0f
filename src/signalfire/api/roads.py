"""Road closures and station coverage over the install's road network."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

import numpy as np
from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field
from scipy.spatial import ConvexHull

from signalfire.api.deps import DbSession, get_runtime, requires
from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm
from signalfire.core.errors import Invalid, NotFound
from signalfire.core.events import Event, emit
from signalfire.core.runtime import Runtime
from signalfire.core.schemas import Latitude, Longitude, RequestBody, ResponseBody, Timestamp
from signalfire.geo.routing import Closure
from signalfire.units import service as units

router = APIRouter(prefix="/api", tags=["roads"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Dispatcher = Annotated[Actor, requires(Perm.DISPATCH)]

MAX_SNAP_M = 100.0


class RoadClosed(Event):
    topic: ClassVar[str] = "road.closed"
    edge: int
    street: str
    until: datetime | None
    reason: str


class RoadReopened(Event):
    topic: ClassVar[str] = "road.reopened"
    edge: int


class ClosureCreate(RequestBody):
    lat: Latitude
    lon: Longitude
    until: Timestamp | None = Field(None, description="Open again at this time.")
    reason: str = Field(min_length=1, max_length=200, examples=["fire hoses across the road"])


class ClosureRead(ResponseBody):
    edge: int
    street: str
    lat: float
    lon: float
    start: datetime
    end: datetime | None


class Coverage(ResponseBody):
    station_id: int
    minutes: float
    reachable_nodes: int
    polygon: list[tuple[float, float]] = Field(description="Convex hull, (lat, lon) points.")


def _read(runtime: Runtime, closure: Closure) -> ClosureRead:
    graph = runtime.roads.graph
    a, b = int(graph.u[closure.edge]), int(graph.v[closure.edge])
    return ClosureRead(
        edge=closure.edge,
        street=graph.names[closure.edge] or "unnamed road",
        lat=float((graph.lat[a] + graph.lat[b]) / 2),
        lon=float((graph.lon[a] + graph.lon[b]) / 2),
        start=closure.start,
        end=closure.end,
    )


@router.get(
    "/road-closures", response_model=list[ClosureRead], dependencies=[requires(Perm.DISPATCH)]
)
def list_closures(runtime: RuntimeDep) -> list[ClosureRead]:
    """Road segments closed now."""
    return [_read(runtime, c) for c in runtime.roads.router().active_closures(clock.now())]


@router.post("/road-closures", response_model=ClosureRead, status_code=201)
def close_road(
    data: ClosureCreate, db: DbSession, runtime: RuntimeDep, actor: Dispatcher
) -> ClosureRead:
    """Close the road segment nearest the point; routing avoids it at once."""
    graph = runtime.roads.graph
    snap = graph.snap(data.lat, data.lon)
    if snap.distance_m > MAX_SNAP_M:
        raise Invalid(f"no road within {MAX_SNAP_M:.0f} m of that point", field="lat")
    closure = Closure(snap.edge, clock.now(), data.until)
    runtime.roads.router().close(closure)
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
    return _read(runtime, closure)


@router.delete("/road-closures/{edge}", status_code=204)
def reopen_road(edge: int, db: DbSession, runtime: RuntimeDep, actor: Dispatcher) -> Response:
    """Open a closed segment again."""
    road = runtime.roads.router()
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
    return Response(status_code=204)


class PlaceRead(ResponseBody):
    label: str
    lat: float
    lon: float
    kind: str
    confidence: float
    street: str | None
    housenumber: str | None


@router.get("/geocode", response_model=list[PlaceRead], dependencies=[requires(Perm.INCIDENT_READ)])
def geocode(
    runtime: RuntimeDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Address or A & B.")],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[PlaceRead]:
    """Addresses, streets and intersections matching the text, best first (offline)."""
    return [PlaceRead.model_validate(p) for p in runtime.roads.geocoder().search(q, limit)]


@router.get(
    "/geocode/reverse", response_model=PlaceRead | None, dependencies=[requires(Perm.INCIDENT_READ)]
)
def reverse_geocode(
    runtime: RuntimeDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
) -> PlaceRead | None:
    """The nearest known address, or null when none is within 500 m."""
    place = runtime.roads.geocoder().reverse(lat, lon)
    return PlaceRead.model_validate(place) if place else None


@router.get("/stations/{station_id}/coverage", response_model=Coverage)
def station_coverage(
    station_id: int,
    db: DbSession,
    runtime: RuntimeDep,
    actor: Annotated[Actor, requires(Perm.UNIT_READ)],
    minutes: Annotated[float, Query(gt=0, le=60)] = 8,
) -> Coverage:
    """The area a unit leaving the station reaches within ``minutes`` by road."""
    station = next((s for s in units.list_stations(db=db, actor=actor) if s.id == station_id), None)
    if station is None:
        raise NotFound(f"no station with id {station_id}")
    road = runtime.roads.router()
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


class RoadMap(ResponseBody):
    """The road network as straight segments, for drawing the base map."""

    segments: list[tuple[float, float, float, float]] = Field(
        description="lat1, lon1, lat2, lon2 of each road segment (each two-way road once)."
    )


@router.get("/roads", response_model=RoadMap, dependencies=[requires(Perm.INCIDENT_READ)])
def road_map(runtime: RuntimeDep, response: Response) -> RoadMap:
    """The install's roads, so the console draws its map without any tile server."""
    graph = runtime.roads.graph
    pairs = {
        (min(a, b), max(a, b)) for a, b in zip(graph.u.tolist(), graph.v.tolist(), strict=True)
    }
    lat, lon = graph.lat, graph.lon
    response.headers["Cache-Control"] = "private, max-age=3600"
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
