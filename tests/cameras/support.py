"""Arranging cameras over the API, and waiting for what their workers report."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi.testclient import TestClient

from tests.units.support import Headers, Json, ok

T = TypeVar("T")

LINE_RULE: Json = {
    "type": "line",
    "name": "gate",
    "a": [0.5, 0.0],
    "b": [0.5, 1.0],
    "cooldown_s": 1.0,
}


def camera_body(source: str, name: str = "Platform 1", **extra: Any) -> Json:
    """A camera watching for the square crossing the middle of the picture."""
    return {
        "name": name,
        "source": source,
        "lat": 60.1719,
        "lon": 24.9414,
        "heading_deg": 90,
        "fov_deg": 70,
        "analysis": {"fps": 10, "rules": [LINE_RULE]},
        "recording_mode": "off",
        **extra,
    }


def add_camera(client: TestClient, headers: Headers, source: str, **extra: Any) -> Json:
    result: Json = ok(
        client.post("/api/cameras", json=camera_body(source, **extra), headers=headers), 201
    )
    return result


def wait_for(what: Callable[[], T | None], *, timeout: float = 60.0, step: float = 0.1) -> T:
    """Poll ``what`` until it returns something truthy (fails after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout} s")
        time.sleep(step)
