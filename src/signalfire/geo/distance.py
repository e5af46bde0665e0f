"""Great-circle distance."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in metres between two WGS84 points along a great circle.

    Parameters
    ----------
    lat1, lon1, lat2, lon2
        Coordinates in decimal degrees.

    Returns
    -------
    float
        Metres, on a sphere of the mean Earth radius (error < 0.5 % against the ellipsoid).

    Examples
    --------
    Two points in central Helsinki, about 600 m apart:

    >>> round(haversine_m(60.1710, 24.9414, 60.1704, 24.9522))
    601
    >>> haversine_m(60.0, 25.0, 60.0, 25.0)
    0.0
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def degrees_box(lat: float, radius_m: float) -> tuple[float, float]:
    """Half-height and half-width in degrees of a box holding a circle of ``radius_m``.

    >>> dlat, dlon = degrees_box(60.0, 1000.0)
    >>> round(dlat, 5), round(dlon, 5)
    (0.00899, 0.01799)
    """
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return dlat, dlon
