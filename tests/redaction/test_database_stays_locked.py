"""Against a real server: naming the database in a redaction job neither opens it nor
costs the server its locks, a CLI command beside the server keeps the WAL, and every
acknowledged incident survives ``kill -9`` (issue 26, finding 1)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from signalfire.core.auth.permissions import Role
from signalfire.core.config import load_settings
from signalfire.core.runtime import build_runtime
from tests.conftest import World
from tests.demo_process import free_port
from tests.redaction.test_source_guard import posix_locks

WHY = {"X-Signalfire-Purpose": "release to court", "X-Signalfire-Case": "C-2026-118"}
CALL = {
    "nature_code": "FIRE-STRUCTURE",
    "location": {"lat": 60.1695, "lon": 24.9525, "source": "manual"},
}


def environment(tmp_path: Path, road_cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFIRE_")}
    return env | {
        "PYTHONUNBUFFERED": "1",
        "SIGNALFIRE_DATA_DIR": str(tmp_path),
        "SIGNALFIRE_DATABASE__URL": f"sqlite:///{tmp_path / 'signalfire.db'}",
        "SIGNALFIRE_GEO__PRELOAD": "false",
        "SIGNALFIRE_GEO__CACHE_DIR": str(road_cache),
        "SIGNALFIRE_VIDEO__WORKERS": "0",
    }


def tokens(database_url: str, tmp_path: Path) -> tuple[str, str]:
    """API tokens of a video operator and a call taker of one agency."""
    rt = build_runtime(
        load_settings(database={"url": database_url}, data_dir=tmp_path, geo={"preload": False})
    )
    world = World(rt)
    agency = world.agency("HKI-POL", kind="police")
    operator = world.token(world.user("vid.op", agency, [Role.VIDEO_OPERATOR], password=None))
    taker = world.token(world.user("taker", agency, [Role.CALL_TAKER], password=None))
    rt.engine.dispose()
    return operator, taker


@pytest.fixture
def server(
    database_url: str, tmp_path: Path, road_cache: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    if not database_url.startswith("sqlite"):
        pytest.skip("the WAL and its locks are SQLite's")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "signalfire", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=environment(tmp_path, road_cache),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    else:
        process.kill()
        raise AssertionError("the server did not become ready")
    yield process, base
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def test_naming_the_database_loses_no_lock_and_no_acknowledged_incident(
    database_url: str, tmp_path: Path, road_cache: Path, request: pytest.FixtureRequest
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the WAL and its locks are SQLite's")
    operator, taker = tokens(database_url, tmp_path)
    process, base = request.getfixturevalue("server")
    database = tmp_path / "signalfire.db"
    as_operator = {"Authorization": f"Bearer {operator}", **WHY}
    as_taker = {"Authorization": f"Bearer {taker}"}
    acknowledged: list[int] = []

    def intake(count: int) -> None:
        for _ in range(count):
            made = httpx.post(f"{base}/api/incidents", json=CALL, headers=as_taker)
            assert made.status_code == 201, made.text
            acknowledged.append(made.json()["incident"]["id"])

    intake(3)
    held = posix_locks(process.pid, database)
    assert held, "the server holds SQLite's lock on its database"
    for name in ("signalfire.db", "signalfire.db-shm", "signalfire.db-wal", str(database)):
        for body in ({"path": name}, {"clip": name}):
            named = httpx.post(f"{base}/api/redactions", json=body, headers=as_operator)
            assert named.status_code == 422, named.text
            assert str(tmp_path) not in named.text
    still_held = posix_locks(process.pid, database)
    command = subprocess.run(
        [sys.executable, "-m", "signalfire", "audit", "head"],
        cwd=tmp_path,
        env=environment(tmp_path, road_cache),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert command.returncode == 0, command.stderr
    intake(20)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    connection = sqlite3.connect(database)
    try:
        stored = {n for (n,) in connection.execute("SELECT id FROM incidents")}
    finally:
        connection.close()
    lost = [n for n in acknowledged if n not in stored]
    assert lost == [], f"{len(lost)} of {len(acknowledged)} acknowledged incidents lost"
    assert still_held == held, "the server's locks on the database were dropped"
