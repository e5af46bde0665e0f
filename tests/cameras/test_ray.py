"""Cameras on a local Ray instance: the same events as local worker processes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from signalfire.cameras.workers.local_pool import LocalPool
from signalfire.cameras.workers.messages import CameraJob, HealthReport, RuleFiredReport
from signalfire.cameras.workers.ray_pool import RayPool
from signalfire.cameras.workers.supervisor import Backend
from tests.cameras.media import write_video
from tests.cameras.scenes import crossing_frame, crossing_video
from tests.cameras.support import LINE_RULE

Seen = tuple[int, str, str, str | None, float, int | None]


def jobs(tmp_path: Path) -> dict[int, CameraJob]:
    """Two cameras: the box crossing left to right, and the same film backwards."""
    forward = crossing_video(tmp_path)
    backward = write_video(tmp_path / "back.mp4", 56, lambda i: crossing_frame(55 - i), fps=10)
    return {
        camera_id: CameraJob(
            camera_id=camera_id,
            source=str(path),
            analysis={"fps": 10, "rules": [LINE_RULE]},
            recording_mode="off",
            segment_seconds=2,
            segments_dir=str(tmp_path / f"segments-{camera_id}"),
            realtime=False,
            loop_files=False,
        )
        for camera_id, path in ((1, forward), (2, backward))
    }


def run_to_the_end(
    backend: Backend, work: dict[int, CameraJob], timeout: float = 120
) -> list[Seen]:
    """Every event of one play of each camera's file, in a comparable form."""
    backend.assign(work)
    seen: list[Seen] = []
    ended: set[int] = set()
    deadline = time.monotonic() + timeout
    while ended != set(work):
        assert time.monotonic() < deadline, f"only cameras {ended} finished"
        for message in backend.poll(0.2):
            if isinstance(message, RuleFiredReport):
                seen.append(
                    (
                        message.camera_id,
                        message.rule,
                        message.kind,
                        message.direction,
                        round(message.pts_s, 3),
                        message.track_id,
                    )
                )
                assert message.jpeg
            elif isinstance(message, HealthReport) and message.error == "end of file":
                ended.add(message.camera_id)
    return sorted(seen)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_actors_see_what_local_workers_see(local_ray: None, tmp_path: Path) -> None:
    work = jobs(tmp_path)
    local = LocalPool(2)
    try:
        expected = run_to_the_end(local, work)
    finally:
        local.close()
    assert [(s[0], s[2], s[3]) for s in expected] == [
        (1, "line_crossing", "right_to_left"),
        (2, "line_crossing", "left_to_right"),
    ]
    pool = RayPool("local")
    try:
        assert run_to_the_end(pool, work) == expected
        ray.kill(pool.actor(1))
        assert _revive_when_found_dead(pool) == [1]
        assert pool.restarts == 1
        again = [m for m in _drain_until_detection(pool) if isinstance(m, RuleFiredReport)]
        assert {d.camera_id for d in again} == {1}
    finally:
        pool.close()


def _drain_until_detection(pool: RayPool, timeout: float = 60) -> list[object]:
    deadline = time.monotonic() + timeout
    got: list[object] = []
    while not any(isinstance(m, RuleFiredReport) for m in got):
        assert time.monotonic() < deadline, "the recreated actor saw nothing"
        got += list(pool.poll(0.2))
    return got


def _revive_when_found_dead(pool: RayPool, timeout: float = 30) -> list[int]:
    """Poll and revive as the supervisor does, until a poll finds the killed actor dead
    (``ray.kill`` is asynchronous: the first poll may still reach it)."""
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline, "the killed actor was never found dead"
        list(pool.poll(0.1))
        revived = pool.revive()
        if revived:
            return revived
