"""`signalfire demo` on a fresh directory: the simulated city comes alive.

Started as a real process at 60 times real time: calls become incidents, the desk
dispatches, crews drive their routed paths reporting positions, and return to service.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import socket
import subprocess
import sys
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

WORKING = {"dispatched", "en_route", "on_scene", "transporting", "at_hospital"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def city(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The demo, running; yields its URL and a dispatcher's headers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFIRE_")}
    env |= {
        "PYTHONUNBUFFERED": "1",
        "SIGNALFIRE_SIM__CALLS_PER_HOUR": "60",
        "SIGNALFIRE_SIM__SEED": "11",
        "SIGNALFIRE_LOG__LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "signalfire", "demo", "--port", str(port), "--speed", "60"]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        banner = ""
        while "Sign in:" not in banner:
            line = process.stdout.readline()
            assert line, f"demo exited early: {banner}"
            banner += line
        found = re.search(r"password '([^']+)'", banner)
        assert found, banner
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base)
        login = httpx.post(
            f"{base}/api/auth/login", json={"username": "dispatcher", "password": found.group(1)}
        )
        assert login.status_code == 200, login.text
        yield base, {"Authorization": f"Bearer {login.json()['token']}"}
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the demo did not become ready")


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


def first_leg(track: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """Positions from the first report to the first stop (speed 0: arrival)."""
    leg = []
    for report in track:
        leg.append((report["lat"], report["lon"]))
        if report["speed"] == 0:
            break
    return leg


def test_the_demo_city_lives(city: tuple[str, dict[str, str]]) -> None:
    base, headers = city
    seen = watch(base, headers, seconds=240)
    assert seen.incidents, "no incident was created"
    assert seen.working, "no unit was dispatched"
    assert seen.arrived, "no unit drove to a scene"
    assert seen.back, f"no unit came back to available (on jobs: {sorted(seen.working)})"

    router = Router(read_osm(helsinki_extract()))
    graph = router.graph
    long_drives = 0
    for sign in sorted(seen.arrived):
        track = httpx.get(f"{base}/api/units/{seen.drove[sign]}/positions", headers=headers).json()
        leg = first_leg(track)
        assert len(leg) >= 2, f"{sign} reported no drive: {track}"
        long_drives += len(set(leg)) >= 3  # a short drive may fit between two reports
        when = datetime.fromisoformat(track[0]["time"])
        route = router.route(graph.snap(*leg[0]), graph.snap(*leg[-1]), when)
        assert route is not None
        off = [metres_to_path(p, route.path) for p in leg]
        assert max(off) < 25, f"{sign} left the routed path by {max(off):.0f} m"
    assert long_drives, "no unit was seen moving through several positions"
