"""Camera leases: each camera analysed under one supervisor at a time, across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from signalfire.cameras.models import Camera, CameraHealth, CameraLease
from signalfire.cameras.registry import service as registry
from signalfire.cameras.registry.schemas import CameraUpdate
from signalfire.cameras.workers import lease, server
from signalfire.cameras.workers.messages import HealthReport
from signalfire.cameras.workers.supervisor import Supervisor
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.config import VideoSettings
from signalfire.core.db import make_engine, make_session_factory, transaction
from signalfire.core.runtime import Runtime
from tests.cameras.leases import (
    FakeBackend,
    Ledger,
    Working,
    add_cameras,
    holders,
    video_runtime,
)
from tests.cameras.support import wait_for
from tests.conftest import Clock, World

REPO = Path(__file__).resolve().parents[2]
MINUTE = timedelta(minutes=1)


@pytest.fixture
def agency_id(world: World) -> int:
    return world.agency().id


@pytest.fixture
def quick() -> Iterator[list[Runtime]]:
    """The runtimes of a test's supervisors (see :func:`quick_runtime`), closed after."""
    made: list[Runtime] = []
    yield made
    for rt in made:
        rt.engine.dispose()


def quick_runtime(made: list[Runtime], url: str, tmp_path: Path, **video: float) -> Runtime:
    """A runtime of its own for a supervisor: a 1.5 s lease renewed every 0.25 s."""
    settings = {"lease_s": 1.5, "lease_heartbeat_s": 0.25, **video}
    rt = video_runtime(url, tmp_path / "data", **settings)
    made.append(rt)
    return rt


def claim(runtime: Runtime, holder: str, cameras: list[int], seconds: float = 10) -> set[int]:
    with transaction(runtime.sessions) as db:
        return lease.claim(
            db=db, holder=holder, camera_ids=cameras, duration=timedelta(seconds=seconds)
        )


def test_the_defaults_hand_a_dead_holders_cameras_on_within_15_s() -> None:
    video = VideoSettings()
    assert video.lease_s + video.lease_heartbeat_s < 15
    with pytest.raises(ValueError, match="lease_heartbeat_s"):
        VideoSettings(lease_s=3, lease_heartbeat_s=2)


def test_a_lease_is_renewed_by_its_holder_and_taken_only_once_expired(
    runtime: Runtime, agency_id: int, frozen_clock: Clock
) -> None:
    cameras = add_cameras(runtime, agency_id, 3)
    assert claim(runtime, "a", cameras) == set(cameras)
    assert claim(runtime, "b", cameras) == set()
    frozen_clock.advance(seconds=9)
    assert claim(runtime, "a", cameras) == set(cameras)  # renewed: 10 s from now
    frozen_clock.advance(seconds=9)
    assert claim(runtime, "b", cameras) == set()
    with runtime.reader() as db:
        first = db.get(CameraLease, cameras[0])
        assert first is not None
        assert first.expires_at == frozen_clock.now + timedelta(seconds=1)
        assert first.acquired_at == frozen_clock.now - timedelta(seconds=18)
        assert first.renewed_at == frozen_clock.now - timedelta(seconds=9)

    frozen_clock.advance(seconds=2)  # a stopped renewing 11 s ago
    assert claim(runtime, "b", cameras[:2]) == set(cameras[:2])
    assert claim(runtime, "a", cameras) == {cameras[2]}  # a's renewal of the others failed
    assert holders(runtime) == {cameras[0]: "b", cameras[1]: "b", cameras[2]: "a"}
    with runtime.reader() as db:
        taken = db.get(CameraLease, cameras[0])
        assert taken is not None
        assert taken.acquired_at == frozen_clock.now


def test_a_holder_gives_up_cameras_no_longer_asked_for_and_all_on_release(
    runtime: Runtime, agency_id: int
) -> None:
    cameras = add_cameras(runtime, agency_id, 3)
    claim(runtime, "a", cameras)
    assert claim(runtime, "a", cameras[1:]) == set(cameras[1:])
    assert claim(runtime, "b", cameras) == {cameras[0]}
    with transaction(runtime.sessions) as db:
        assert lease.release(db=db, holder="a") == 2
    assert holders(runtime) == {cameras[0]: "b"}
    assert claim(runtime, "b", []) == set()
    assert holders(runtime) == {}


def test_a_removed_camera_takes_its_lease_with_it_and_a_missing_one_gets_none(
    runtime: Runtime, agency_id: int
) -> None:
    cameras = add_cameras(runtime, agency_id, 2)
    claim(runtime, "a", cameras)
    with transaction(runtime.sessions) as db:
        db.execute(delete(Camera).where(Camera.id == cameras[0]))
    assert holders(runtime) == {cameras[1]: "a"}
    assert claim(runtime, "a", [*cameras, 9999]) == {cameras[1]}


@pytest.mark.parametrize("state", ["free", "expired"])
def test_holders_racing_for_one_lease_leave_exactly_one_winner(
    runtime: Runtime, agency_id: int, frozen_clock: Clock, state: str
) -> None:
    (camera,) = add_cameras(runtime, agency_id, 1)
    if state == "expired":
        claim(runtime, "dead", [camera])
        frozen_clock.advance(seconds=11)
    racers = 8
    engines = [make_engine(runtime.settings.database.url) for _ in range(racers)]
    start = threading.Barrier(racers)
    won: dict[str, set[int]] = {}
    errors: list[BaseException] = []

    def race(n: int) -> None:
        sessions = make_session_factory(engines[n])
        try:
            start.wait(10)
            with transaction(sessions) as db:
                won[f"racer-{n}"] = lease.claim(
                    db=db, holder=f"racer-{n}", camera_ids=[camera], duration=MINUTE
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(racers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        for engine in engines:
            engine.dispose()
    assert errors == []
    winners = [holder for holder, got in won.items() if got == {camera}]
    assert len(won) == racers
    assert len(winners) == 1
    assert holders(runtime) == {camera: winners[0]}
    if state == "expired":
        assert claim(runtime, "dead", [camera]) == set()


def test_two_supervisors_never_run_one_camera_and_share_every_enabled_camera(
    database_url: str, tmp_path: Path, quick: list[Runtime], agency_id: int, runtime: Runtime
) -> None:
    ledger = Ledger()
    cameras = add_cameras(runtime, agency_id, 4)
    first = Working(quick_runtime(quick, database_url, tmp_path), "first", ledger)
    wait_for(lambda: first.running() == set(cameras), timeout=10)
    second = Working(quick_runtime(quick, database_url, tmp_path), "second", ledger)
    try:
        more = add_cameras(runtime, agency_id, 2, first=10)
        actor = Actor(None, "test", agency_id, frozenset(Role), "cli")
        with transaction(runtime.sessions) as db:
            registry.update(
                db=db, actor=actor, camera_id=cameras[0], data=CameraUpdate(enabled=False)
            )
        enabled = set(cameras[1:] + more)
        wait_for(lambda: ledger.running.keys() == enabled, timeout=10)
        time.sleep(2)  # several heartbeats of both, past the first lease's length
        assert set(ledger.running) == enabled
        assert ledger.clashes == []
        owners = holders(runtime)
        assert set(owners) == enabled  # the disabled camera's lease was given up
        for camera_id, holder in owners.items():
            assert holder in {first.supervisor.holder, second.supervisor.holder}
            name = "first" if holder == first.supervisor.holder else "second"
            assert ledger.running[camera_id] == name
        assert first.supervisor.held | second.supervisor.held == enabled
        assert not first.supervisor.held & second.supervisor.held

        first.halt()  # stops renewing, and its workers end: as if its process died
        first.backend.close()
        wait_for(lambda: second.running() == enabled, timeout=10)
        assert ledger.clashes == []
    finally:
        first.halt()
        second.halt()


def test_a_supervisor_drops_a_camera_it_lost_and_stores_nothing_more_from_it(
    database_url: str, tmp_path: Path, quick: list[Runtime], agency_id: int, runtime: Runtime
) -> None:
    cameras = add_cameras(runtime, agency_id, 2)
    backend = FakeBackend("one", Ledger())
    supervisor = Supervisor(quick_runtime(quick, database_url, tmp_path), backend)
    supervisor.sync()
    assert set(backend.jobs) == set(cameras)
    with transaction(runtime.sessions) as db:  # another holder took it (as if expired)
        row = db.get(CameraLease, cameras[0])
        assert row is not None
        row.holder = "other"
    supervisor.sync()
    assert set(backend.jobs) == {cameras[1]}
    assert supervisor.held == {cameras[1]}
    now = time.time()
    backend.inbox = [
        HealthReport(c, "online", now, now, None, 0, None, "worker-0") for c in cameras
    ]
    assert supervisor.step(0.01) == 2
    with runtime.reader() as db:
        stored = set(db.scalars(select(CameraHealth.camera_id)))
    assert stored == {cameras[1]}


def test_a_supervisor_that_cannot_renew_stops_its_cameras_before_the_lease_ends(
    database_url: str,
    tmp_path: Path,
    quick: list[Runtime],
    agency_id: int,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cameras = add_cameras(runtime, agency_id, 2)
    ledger = Ledger()
    one = Working(quick_runtime(quick, database_url, tmp_path), "one", ledger)
    try:
        wait_for(lambda: one.running() == set(cameras), timeout=10)

        def unreachable(**_: object) -> set[int]:
            raise OSError("database unreachable")

        monkeypatch.setattr(lease, "claim", unreachable)
        lost_at = time.monotonic()
        wait_for(lambda: one.running() == set(), timeout=10)
        assert time.monotonic() - lost_at <= 1.5 + 0.5  # by the end of the lease
        assert one.supervisor.holding() == frozenset()
    finally:
        one.halt()


def test_a_clean_shutdown_hands_the_cameras_on_at_once(
    database_url: str,
    tmp_path: Path,
    quick: list[Runtime],
    agency_id: int,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cameras = add_cameras(runtime, agency_id, 3)
    ledger = Ledger()
    leaving = FakeBackend("leaving", ledger)
    monkeypatch.setattr(server, "make_backend", lambda _rt: leaving)
    slow = quick_runtime(quick, database_url, tmp_path, lease_s=60)
    stop = threading.Event()
    thread = threading.Thread(target=server.supervise, args=(slow, stop))
    thread.start()
    staying = None
    try:
        wait_for(lambda: ledger.of("leaving") == set(cameras), timeout=10)
        staying = Working(quick_runtime(quick, database_url, tmp_path, lease_s=60), "on", ledger)
        time.sleep(1)
        assert staying.running() == set()
        stopped_at = time.monotonic()
        stop.set()
        thread.join(10)
        assert leaving.closed
        assert set(holders(runtime).values()) <= {staying.supervisor.holder}  # released
        wait_for(lambda: staying.running() == set(cameras), timeout=10)
        assert time.monotonic() - stopped_at < 5  # not the lease's 60 s
        assert ledger.clashes == []
    finally:
        stop.set()
        thread.join(10)
        if staying is not None:
            staying.halt()


def test_a_killed_supervisor_process_loses_its_cameras_to_another_within_15_s(
    database_url: str, tmp_path: Path, agency_id: int, runtime: Runtime
) -> None:
    cameras = add_cameras(runtime, agency_id, 3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFIRE_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.cameras.lease_process", database_url, str(tmp_path)],
        cwd=REPO,
        env=env | {"PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        text=True,
    )
    ledger = Ledger()
    other = None
    try:
        assert process.stdout is not None
        holder = process.stdout.readline().strip()
        assert f":{process.pid}:" in holder
        wait_for(lambda: holders(runtime) == dict.fromkeys(cameras, holder), timeout=20)
        other = Working(runtime, "other", ledger)  # the default lease and heartbeat
        time.sleep(2.5)  # more than a heartbeat: it finds every camera taken
        assert other.running() == set()
        process.send_signal(signal.SIGKILL)
        process.wait(5)
        killed_at = time.monotonic()
        wait_for(lambda: other.running() == set(cameras), timeout=16, step=0.05)
        waited = time.monotonic() - killed_at
        assert waited < 15
        assert waited > 10 - 2 - 1  # not before the dead holder's lease ran out
        assert holders(runtime) == dict.fromkeys(cameras, other.supervisor.holder)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        if other is not None:
            other.halt()
