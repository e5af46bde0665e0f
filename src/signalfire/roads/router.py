"""HTTP routes for road closures, station coverage, geocoding and the base map."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from signalfire.api.permissions import requires
from signalfire.api.session import DbSession, get_runtime
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm
from signalfire.core.runtime import Runtime
from signalfire.roads import service
from signalfire.roads.schemas import ClosureCreate, ClosureRead, Coverage, PlaceRead, RoadMap

router = APIRouter(prefix="/api", tags=["roads"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Dispatcher = Annotated[Actor, requires(Perm.DISPATCH)]


@router.get(
    "/road-closures", response_model=list[ClosureRead], dependencies=[requires(Perm.DISPATCH)]
)
def list_closures(db: DbSession, runtime: RuntimeDep) -> list[ClosureRead]:
    """Road segments closed now."""
    return service.active_closures(db=db, network=runtime.roads)


@router.post("/road-closures", response_model=ClosureRead, status_code=201)
def close_road(
    data: ClosureCreate, db: DbSession, runtime: RuntimeDep, actor: Dispatcher
) -> ClosureRead:
    """Close the road segment nearest the point; routing avoids it once this commits."""
    return service.close(db=db, actor=actor, network=runtime.roads, data=data)


@router.delete("/road-closures/{edge}", status_code=204)
def reopen_road(edge: int, db: DbSession, actor: Dispatcher) -> Response:
    """Open a closed segment again."""
    service.reopen(db=db, actor=actor, edge=edge)
    return Response(status_code=204)


@router.get("/geocode", response_model=list[PlaceRead], dependencies=[requires(Perm.INCIDENT_READ)])
def geocode(
    runtime: RuntimeDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Address or A & B.")],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[PlaceRead]:
    """Addresses, streets and intersections matching the text, best first (offline)."""
    return service.geocode(network=runtime.roads, text=q, limit=limit)


@router.get(
    "/geocode/reverse", response_model=PlaceRead | None, dependencies=[requires(Perm.INCIDENT_READ)]
)
def reverse_geocode(
    runtime: RuntimeDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
) -> PlaceRead | None:
    """The nearest known address, or null when none is within 500 m."""
    return service.reverse_geocode(network=runtime.roads, lat=lat, lon=lon)


@router.get("/stations/{station_id}/coverage", response_model=Coverage)
def station_coverage(
    station_id: int,
    db: DbSession,
    runtime: RuntimeDep,
    actor: Annotated[Actor, requires(Perm.UNIT_READ)],
    minutes: Annotated[float, Query(gt=0, le=60)] = 8,
) -> Coverage:
    """The area a unit leaving the station reaches within ``minutes`` by road."""
    return service.station_coverage(
        db=db, actor=actor, network=runtime.roads, station_id=station_id, minutes=minutes
    )


@router.get("/roads", response_model=RoadMap, dependencies=[requires(Perm.INCIDENT_READ)])
def road_map(runtime: RuntimeDep, response: Response) -> RoadMap:
    """The install's roads, so the console draws its map without any tile server."""
    response.headers["Cache-Control"] = "private, max-age=3600"
    return service.road_map(network=runtime.roads)
