"""Shared benchmark plumbing: a seeded embedded install served by uvicorn, and the
report file."""

from __future__ import annotations

import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
from pydantic import SecretStr

from signalfire.accounts import service as accounts
from signalfire.accounts import tokens
from signalfire.accounts.schemas import AgencyCreate, TokenCreate, UserCreate
from signalfire.core import migrate
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.config import load_settings
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime, build_runtime
from signalfire.units import service as units
from signalfire.units.schemas import UnitCreate, UnitType

REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


@dataclass(frozen=True, slots=True)
class Install:
    """A seeded install: its URL, tokens by role, unit ids and the server's process id."""

    base_url: str
    database_url: str
    tokens: dict[str, str]
    unit_ids: list[int]
    pid: int


@dataclass(frozen=True, slots=True)
class Peer:
    """The peer app as served: its URL and process id."""

    base_url: str
    pid: int


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a running process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.0
    """
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def seed(rt: Runtime, *, units_count: int) -> tuple[dict[str, str], list[int]]:
    """One agency with a dispatcher, a terminal gateway and ``units_count`` units."""
    migrate.upgrade(rt.engine)
    operator = Actor.operator()
    with transaction(rt.sessions) as db:
        agency = accounts.create_agency(
            db=db, actor=operator, data=AgencyCreate(code="BENCH", name="Bench", kind="fire")
        )
        made = {}
        for name, role in (("dispatcher", Role.DISPATCHER), ("gateway", Role.UNIT_TERMINAL)):
            user = accounts.create_user(
                db=db,
                actor=operator,
                data=UserCreate(
                    username=f"bench.{name}",
                    display_name=name,
                    password=SecretStr("x" * 16),
                    roles=[role],
                    agency_id=agency.id,
                ),
            )
            _record, made[name] = tokens.create(
                db=db, actor=operator, data=TokenCreate(user_id=user.id, name=name)
            )
        member = Actor(None, "bench", agency.id, frozenset(Role), "cli")
        ids = [
            units.create_unit(
                db=db, actor=member, data=UnitCreate(callsign=f"U{n}", unit_type=UnitType.ENGINE)
            ).id
            for n in range(units_count)
        ]
    return made, ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def served(*, units_count: int = 200) -> Iterator[Install]:
    """A fresh embedded install, seeded, served by ``signalfire serve`` in one process."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        rt = build_runtime(load_settings(database={"url": url}))
        made, ids = seed(rt, units_count=units_count)
        rt.engine.dispose()
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFIRE_")}
        env |= {
            "SIGNALFIRE_DATABASE__URL": url,
            "SIGNALFIRE_LOG__LEVEL": "WARNING",
            # These benchmarks do not route; loading the roads would compete for the CPU.
            "SIGNALFIRE_GEO__PRELOAD": "false",
        }
        log = Path(tmp) / "server.log"
        server = subprocess.Popen(
            [sys.executable, "-m", "signalfire", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            yield Install(base, url, made, ids, server.pid)
        except BaseException:
            print(log.read_text()[-4000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(timeout=10)


@contextmanager
def peer_served() -> Iterator[Peer]:
    """The bare FastAPI + sqlite3 peer (``bench.peer_app``), on a fresh database."""
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.peer_app", str(port), f"{tmp}/peer.db"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            yield Peer(base, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)


def wait_ready(base: str, *, seconds: float = 30, poll: float = 0.1) -> None:
    """Return once ``base`` answers ``/readyz``; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(poll)
    raise RuntimeError(f"{base} did not become ready in {seconds:.0f} s")


def machine() -> str:
    """One line about where the figures were taken."""
    return (
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs ({_cpu_model()}), {platform.machine()}"
    )


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    found = re.search(
        r"^model name\s*:\s*(.+)$", cpuinfo.read_text() if cpuinfo.exists() else "", re.M
    )
    return found.group(1).strip() if found else platform.processor() or "unknown CPU"


def record(section: str, body: str) -> None:
    """Replace (or add) ``## section`` in docs/benchmarks.md with ``body``."""
    REPORT.parent.mkdir(exist_ok=True)
    text = (
        REPORT.read_text()
        if REPORT.exists()
        else "# Benchmarks\n\nRun with `make bench` "
        "(or one script: `.venv/bin/python -m bench.NAME`). Figures come from this "
        "repository's own runs; each section names the command and the peer run beside it.\n"
    )
    block = f"## {section}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(section)}\n.*?(?=^## |\Z)", re.M | re.S)
    text = (
        pattern.sub(block + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    )
    REPORT.write_text(text)
