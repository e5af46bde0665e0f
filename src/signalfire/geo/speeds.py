"""Driving speeds from OSM tags. Pure."""

from __future__ import annotations

import math
import re

#: km/h by ``highway`` class where no usable ``maxspeed`` is tagged (urban defaults).
CLASS_SPEED_KMH: dict[str, float] = {
    "motorway": 100,
    "motorway_link": 60,
    "trunk": 80,
    "trunk_link": 50,
    "primary": 50,
    "primary_link": 40,
    "secondary": 50,
    "secondary_link": 40,
    "tertiary": 40,
    "tertiary_link": 30,
    "unclassified": 40,
    "residential": 30,
    "living_street": 10,
    "service": 20,
    "road": 30,
}
DEFAULT_SPEED_KMH = 30.0

#: Country zone codes some mappers use instead of a number.
ZONE_SPEED_KMH: dict[str, float] = {
    "fi:urban": 50,
    "fi:rural": 80,
    "fi:motorway": 120,
    "se:urban": 50,
    "se:rural": 70,
    "de:urban": 50,
    "de:rural": 100,
    "de:motorway": 130,
    "dk:urban": 50,
    "no:urban": 50,
    "gb:nsl_single": 96.6,
    "gb:nsl_dual": 112.7,
    "gb:motorway": 112.7,
}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh)?\s*$")


def parse_maxspeed(value: object) -> float | None:
    """A ``maxspeed`` tag in km/h, or ``None`` when it gives no usable number.

    >>> parse_maxspeed("50"), parse_maxspeed("30 mph"), parse_maxspeed("FI:urban")
    (50.0, 48.28, 50.0)
    >>> parse_maxspeed("none") is None, parse_maxspeed(None) is None
    (True, True)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip().lower().split(";")[0]
    if text in ZONE_SPEED_KMH:
        return float(ZONE_SPEED_KMH[text])
    match = _NUMBER.match(text)
    if not match:
        return None
    speed = float(match.group(1))
    if match.group(2) == "mph":
        speed = round(speed * 1.609344, 2)
    return speed if speed > 0 else None


def speed_kmh(highway: object, maxspeed: object) -> float:
    """Speed used for routing: the tagged limit, else the class default.

    >>> speed_kmh("residential", None), speed_kmh("primary", "60")
    (30.0, 60.0)
    """
    tagged = parse_maxspeed(maxspeed)
    if tagged is not None:
        return tagged
    return float(CLASS_SPEED_KMH.get(str(highway), DEFAULT_SPEED_KMH))
