"""Request and response bodies for road closures, coverage, geocoding and the base map."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from signalfire.core.schemas import Latitude, Longitude, RequestBody, ResponseBody, Timestamp


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


class PlaceRead(ResponseBody):
    label: str
    lat: float
    lon: float
    kind: str
    confidence: float
    street: str | None
    housenumber: str | None


class RoadMap(ResponseBody):
    """The road network as straight segments, for drawing the base map."""

    segments: list[tuple[float, float, float, float]] = Field(
        description="lat1, lon1, lat2, lon2 of each road segment (each two-way road once)."
    )
