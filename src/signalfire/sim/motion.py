"""Where a vehicle is along a routed path after some seconds of driving. Pure."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from signalfire.geo.distance import haversine_m
from signalfire.geo.routing import Route


@dataclass(frozen=True, slots=True)
class Fix:
    """A position report: degrees, heading in degrees from north, speed in m/s."""

    lat: float
    lon: float
    heading: float | None
    speed: float


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from the first point to the second, 0 ≤ b < 360.

    >>> round(bearing_deg(60.0, 24.0, 60.1, 24.0))
    0
    >>> round(bearing_deg(60.0, 24.0, 60.0, 24.1))
    90
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360


def position_along(route: Route, elapsed_s: float) -> Fix:
    """The point reached ``elapsed_s`` seconds into ``route``, driving each stretch at
    the speed its road allows; the end point (at rest) once the trip is over.

    >>> trip = Route(100.0, 1000.0, [(60.0, 24.0), (60.009, 24.0)], [0.0, 100.0])
    >>> fix = position_along(trip, 50.0)
    >>> round(fix.lat, 4), round(fix.heading or 0), round(fix.speed)
    (60.0045, 0, 10)
    >>> position_along(trip, 500.0).speed
    0.0
    """
    times, path = route.times, route.path
    if elapsed_s >= times[-1] or len(path) < 2:
        lat, lon = path[-1]
        return Fix(lat, lon, None, 0.0)
    i = max(0, min(bisect.bisect_right(times, elapsed_s) - 1, len(path) - 2))
    (lat1, lon1), (lat2, lon2) = path[i], path[i + 1]
    span = times[i + 1] - times[i]
    f = 0.0 if span <= 0 else (elapsed_s - times[i]) / span
    lat, lon = lat1 + (lat2 - lat1) * f, lon1 + (lon2 - lon1) * f
    metres = haversine_m(lat1, lon1, lat2, lon2)
    speed = metres / span if span > 0 else 0.0
    heading = bearing_deg(lat1, lon1, lat2, lon2) if metres > 0.5 else None
    return Fix(lat, lon, heading, min(speed, 150.0))
