"""`signalfire demo` (what `make demo` runs) serves the API and its login works."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
import websockets


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFIRE_")}
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "signalfire", "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = ""
        while "Sign in:" not in banner:
            line = process.stdout.readline()
            assert line, f"demo exited early: {banner}"
            banner += line
        match = re.search(r"user '([^']+)', password '([^']+)'", banner)
        assert match, banner
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base, match.group(1), match.group(2)
    finally:
        process.terminate()
        process.wait(timeout=10)


def live_snapshot(base: str, token: str) -> dict[str, object]:
    """The first message of the live WebSocket, through the real server."""

    async def first() -> dict[str, object]:
        url = base.replace("http", "ws") + f"/api/live?token={token}"
        async with websockets.connect(url) as socket:
            message: dict[str, object] = json.loads(await socket.recv())
            return message

    return asyncio.run(first())


def test_the_demo_serves_and_a_signed_in_request_works(
    demo: tuple[str, str, str], tmp_path: Path
) -> None:
    base, username, password = demo
    login = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.text
    me = httpx.get(
        f"{base}/api/auth/me", headers={"Authorization": f"Bearer {login.json()['token']}"}
    )
    assert me.status_code == 200
    assert "user.manage" in me.json()["permissions"]
    assert live_snapshot(base, login.json()["token"])["type"] == "snapshot"
    assert (tmp_path / "var" / "signalfire.db").exists()
