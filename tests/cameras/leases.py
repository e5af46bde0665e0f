"""Stand-ins for the camera lease tests: a backend that runs nothing but says what it
would run, a ledger that catches two supervisors running one camera, cameras made
through the registry service, and a supervisor in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from signalfire.cameras.registry import service as registry
from signalfire.cameras.registry.schemas import CameraCreate
from signalfire.cameras.workers import lease
from signalfire.cameras.workers.messages import CameraJob, Message
from signalfire.cameras.workers.supervisor import Supervisor
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.config import load_settings
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime, build_runtime


class Ledger:
    """Which backend runs each camera, across backends; records any camera two run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: dict[int, str] = {}
        self.clashes: list[tuple[int, str, str]] = []

    def run_exactly(self, name: str, cameras: set[int]) -> None:
        with self.lock:
            for camera_id, owner in list(self.running.items()):
                if owner == name and camera_id not in cameras:
                    del self.running[camera_id]
            for camera_id in cameras:
                owner = self.running.setdefault(camera_id, name)
                if owner != name:
                    self.clashes.append((camera_id, owner, name))

    def of(self, name: str) -> set[int]:
        with self.lock:
            return {c for c, owner in self.running.items() if owner == name}


class FakeBackend:
    """Runs nothing; tells the ledger what it was asked to run, hands out queued messages."""

    def __init__(self, name: str, ledger: Ledger) -> None:
        self.name = name
        self.ledger = ledger
        self.jobs: dict[int, CameraJob] = {}
        self.inbox: list[Message] = []
        self.closed = False

    def assign(self, jobs: dict[int, CameraJob]) -> None:
        self.jobs = dict(jobs)
        self.ledger.run_exactly(self.name, set(jobs))

    def revive(self) -> list[int]:
        return []

    def poll(self, timeout: float) -> Iterator[Message]:
        time.sleep(timeout)
        while self.inbox:
            yield self.inbox.pop(0)

    def close(self) -> None:
        self.closed = True
        self.ledger.run_exactly(self.name, set())


def video_runtime(database_url: str, data_dir: Any, **video: Any) -> Runtime:
    """A runtime on the test database with these ``video`` settings (no local workers)."""
    return build_runtime(
        load_settings(
            database={"url": database_url},
            data_dir=data_dir,
            geo={"preload": False},
            video={"workers": 0, **video},
        )
    )


def add_cameras(runtime: Runtime, agency_id: int, count: int, *, first: int = 0) -> list[int]:
    """``count`` enabled cameras of the agency, made through the registry service."""
    actor = Actor(None, "test", agency_id, frozenset(Role), "cli")
    made = []
    with transaction(runtime.sessions) as db:
        for n in range(first, first + count):
            data = CameraCreate(name=f"Camera {n}", source=f"/srv/{n}.mp4", lat=60.17, lon=24.94)
            made.append(registry.create(db=db, actor=actor, data=data).id)
    return made


def holders(runtime: Runtime) -> dict[int, str]:
    with runtime.reader() as db:
        return lease.holders(db=db)


class Working:
    """A supervisor over a fake backend, working in a thread until closed."""

    def __init__(self, runtime: Runtime, name: str, ledger: Ledger) -> None:
        self.backend = FakeBackend(name, ledger)
        self.supervisor = Supervisor(runtime, self.backend)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.supervisor.run, args=(self.stop,))
        self.thread.start()

    def running(self) -> set[int]:
        return self.backend.ledger.of(self.backend.name)

    def halt(self) -> None:
        """Stop working without releasing the leases (a hung or dead supervisor)."""
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()
