"""`signalfire demo` on a fresh directory: the simulated city comes alive.

Started as a real process at 60 times real time: calls become incidents, the desk
dispatches, crews drive their routed paths reporting positions, and return to service.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from signalfire.geo.roads import helsinki_extract, read_osm
from signalfire.geo.routing import Router
from tests.demo_process import running_demo

WORKING = {"dispatched", "en_route", "on_scene", "transporting", "at_hospital"}


@pytest.fixture
def city(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The demo, running at 60x; yields its URL and a dispatcher's headers."""
    settings = {
        "SIGNALFIRE_SIM__CALLS_PER_HOUR": "60",
        "SIGNALFIRE_SIM__SEED": "11",
        "SIGNALFIRE_LOG__LEVEL": "WARNING",
    }
    with running_demo(tmp_path, "--speed", "60", settings=settings) as demo:
        login = httpx.post(
            f"{demo.base}/api/auth/login",
            json={"username": "dispatcher", "password": demo.password},
        )
        assert login.status_code == 200, login.text
        yield demo.base, {"Authorization": f"Bearer {login.json()['token']}"}


@dataclass
class Seen:
    """What the watcher saw of the city."""

    incidents: set[int] = field(default_factory=set)
    working: set[str] = field(default_factory=set)  # callsigns seen on a job
    back: set[str] = field(default_factory=set)  # ... and later available again (home or not)
    drove: dict[str, int] = field(default_factory=dict)  # callsign -> unit id, seen en route
    arrived: set[str] = field(default_factory=set)  # seen on scene after en route

    def done(self) -> bool:
        return bool(self.incidents and self.back and self.arrived)


def watch(base: str, headers: dict[str, str], seconds: float) -> Seen:
    seen = Seen()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not seen.done():
        incidents = httpx.get(f"{base}/api/incidents", headers=headers).json()
        seen.incidents |= {i["id"] for i in incidents}
        for unit in httpx.get(f"{base}/api/units", headers=headers).json():
            sign, status = unit["callsign"], unit["status"]
            if status == "en_route":
                seen.drove[sign] = unit["id"]
            if status == "on_scene" and sign in seen.drove:
                seen.arrived.add(sign)
            if status in WORKING:
                seen.working.add(sign)
            elif status in ("available", "available_on_radio") and sign in seen.working:
                seen.back.add(sign)
        time.sleep(0.5)
    return seen


def metres_to_path(point: tuple[float, float], path: list[tuple[float, float]]) -> float:
    """Distance from ``point`` to the polyline ``path`` (local flat approximation)."""
    lat0 = math.radians(point[0])

    def xy(p: tuple[float, float]) -> tuple[float, float]:
        return (p[1] - point[1]) * 111_320 * math.cos(lat0), (p[0] - point[0]) * 110_540

    best = math.inf
    for a, b in itertools.pairwise(path):
        (ax, ay), (bx, by) = xy(a), xy(b)
        dx, dy = bx - ax, by - ay
        span = dx * dx + dy * dy
        t = 0.0 if span == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / span))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


def stretches(track: list[dict[str, Any]]) -> list[list[tuple[float, float]]]:
    """The track cut into unbroken drives: a stop (speed 0) ends one, and so does a gap
    longer than two report intervals (a crew turning out for a new job)."""
    found: list[list[tuple[float, float]]] = []
    previous: dict[str, Any] | None = None
    for report in track:
        gap = (
            (datetime.fromisoformat(report["time"]) - datetime.fromisoformat(previous["time"]))
            if previous
            else None
        )
        if previous is None or previous["speed"] == 0 or (gap and gap.total_seconds() > 12):
            found.append([])
        found[-1].append((report["lat"], report["lon"]))
        previous = report
    return found


def test_the_demo_city_lives(city: tuple[str, dict[str, str]]) -> None:
    base, headers = city
    seen = watch(base, headers, seconds=240)
    assert seen.incidents, "no incident was created"
    assert seen.working, "no unit was dispatched"
    assert seen.arrived, "no unit drove to a scene"
    assert seen.back, f"no unit came back to available (on jobs: {sorted(seen.working)})"

    router = Router(read_osm(helsinki_extract()))
    graph = router.graph
    checked = 0
    for sign in sorted(seen.drove):
        track = httpx.get(f"{base}/api/units/{seen.drove[sign]}/positions", headers=headers).json()
        assert track, f"{sign} drove without reporting a position"
        when = datetime.fromisoformat(track[0]["time"])
        for drive in stretches(track):
            if len(set(drive)) < 3:
                continue  # a short drive may fit between two reports
            route = router.route(graph.snap(*drive[0]), graph.snap(*drive[-1]), when)
            assert route is not None
            off = max(metres_to_path(p, route.path) for p in drive)
            assert off < 25, f"{sign} left the routed path by {off:.0f} m: {drive}"
            checked += 1
    assert checked, "no unit was seen driving through several positions"
