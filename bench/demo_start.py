"""Time from `make demo` to the first simulated incident visible in the API.

Run: ``.venv/bin/python -m bench.demo_start`` (on an installed checkout: `make install`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

from bench.harness import free_port, machine, record, wait_ready

ROOT = Path(__file__).resolve().parent.parent
DISPATCHERS = ("dispatcher", "ems.dispatcher", "police.dispatcher")


def first_incident(data_dir: Path) -> tuple[float, float]:
    """Seconds from launching `make demo` to ready, and to the first incident that one
    of the three agencies' dispatchers can see."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFIRE_")}
    env |= {
        "SIGNALFIRE_DATA_DIR": str(data_dir),
        "SIGNALFIRE_API__PORT": str(port),
        "SIGNALFIRE_LOG__LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    started = time.monotonic()
    demo = subprocess.Popen(
        ["make", "-s", "-C", str(ROOT), "demo"],  # noqa: S607 (make from PATH, as a user runs it)
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert demo.stdout is not None
        banner = ""
        while "Sign in:" not in banner:
            line = demo.stdout.readline()
            if not line:
                raise RuntimeError(f"the demo stopped: {banner}")
            banner += line
        found = re.search(r"password '([^']+)'", banner)
        assert found is not None
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, seconds=120, poll=0.05)
        ready = time.monotonic() - started
        headers = [_sign_in(base, name, found.group(1)) for name in DISPATCHERS]
        while time.monotonic() - started < 120:
            for header in headers:
                if httpx.get(f"{base}/api/incidents", headers=header).json():
                    return ready, time.monotonic() - started
            time.sleep(0.1)
        raise RuntimeError("no incident within 120 s")
    finally:
        demo.terminate()
        demo.wait(timeout=20)


def _sign_in(base: str, username: str, password: str) -> dict[str, str]:
    login = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": password})
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['token']}"}


def peer_ready() -> float:
    """Seconds for the bare FastAPI peer process to start answering."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        peer = subprocess.Popen(
            [sys.executable, "-m", "bench.peer_app", str(port), f"{tmp}/peer.db"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(f"http://127.0.0.1:{port}", seconds=60, poll=0.05)
            return time.monotonic() - started
        finally:
            peer.terminate()
            peer.wait(timeout=10)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = first_incident(Path(tmp) / "var")
        again = first_incident(Path(tmp) / "var")
    floor = peer_ready()
    record(
        "Demo start",
        f"""
Command: `.venv/bin/python -m bench.demo_start` ({machine()}), on an installed checkout.
Each run launches `make demo` with a fresh `SIGNALFIRE_DATA_DIR` (first row: the demo
city is built: migrations, three agencies, stations from the map, 17 units, run cards,
users) or the same one again (second row: reused), signs in the three agencies'
dispatchers and polls `GET /api/incidents` until the simulator's first call shows.
Peer in the same run: the bare FastAPI + sqlite3 app of `bench/peer_app.py`, launched the
same way, to its first answer: the floor for starting any Python web service here.

| run | ready s | first incident visible s |
|---|---:|---:|
| `make demo`, fresh directory | {fresh[0]:.1f} | {fresh[1]:.1f} |
| `make demo`, second start (reuses the city) | {again[0]:.1f} | {again[1]:.1f} |
| peer: bare FastAPI process | {floor:.1f} | |

Target: first incident visible in under 30 s.
""",
    )
    print(f"fresh {fresh}, again {again}, peer {floor:.1f}")


if __name__ == "__main__":
    main()
