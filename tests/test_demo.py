"""`signalfire demo` (what `make demo` runs) serves the API and its login works."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
import websockets

from tests.demo_process import running_demo


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    with running_demo(tmp_path) as running:
        yield running.base, "admin", running.password


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
