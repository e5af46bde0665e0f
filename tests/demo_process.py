"""Start `signalfire demo` as a real process for a test, and stop it afterwards."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx


@dataclass(frozen=True, slots=True)
class Demo:
    """A running demo: its URL and the demo users' password."""

    base: str
    password: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_demo(cwd: Path, *args: str, settings: dict[str, str] | None = None) -> Iterator[Demo]:
    """`signalfire demo` in ``cwd`` with extra ``args`` and ``SIGNALFIRE_*`` ``settings``,
    once it answers ``/readyz``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFIRE_")}
    env |= {"PYTHONUNBUFFERED": "1", **(settings or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "signalfire", "demo", "--port", str(port), *args],
        cwd=cwd,
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
        found = re.search(r"password '([^']+)'", banner)
        assert found, banner
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base)
        yield Demo(base, found.group(1))
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
