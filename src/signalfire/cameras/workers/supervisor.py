"""The supervisor: keeps the workers running the enabled cameras and stores what they say.

It runs where the database is (inside ``signalfire serve`` or as ``signalfire cameras
work``): every few seconds it reads the registry, hands each enabled camera to a worker
(a local process, or a Ray actor per camera), restarts dead workers, and stores the
health, events (as alerts), snapshots and segments they send back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Protocol

from sqlalchemy import select

from signalfire.cameras.models import Camera
from signalfire.cameras.recordings import storage
from signalfire.cameras.workers import ingest
from signalfire.cameras.workers.messages import CameraJob, Message
from signalfire.core.runtime import Runtime

log = logging.getLogger("signalfire.cameras")

#: How often the registry is re-read and dead workers are restarted.
SYNC_EVERY_S = 2.0


class Backend(Protocol):
    """Where cameras run: :class:`~signalfire.cameras.workers.local_pool.LocalPool` or Ray."""

    def assign(self, jobs: dict[int, CameraJob]) -> None:
        """Run exactly these jobs."""

    def revive(self) -> list[int]:
        """Restart dead workers with their cameras."""

    def poll(self, timeout: float) -> Iterator[Message]:
        """What the workers sent."""

    def close(self) -> None:
        """Stop every worker."""


def jobs_of(runtime: Runtime) -> dict[int, CameraJob]:
    """A job for each enabled camera of every agency."""
    video = runtime.settings.video
    with runtime.reader() as db:
        cameras = list(db.scalars(select(Camera).where(Camera.enabled.is_(True))))
        return {
            c.id: CameraJob(
                camera_id=c.id,
                source=c.source,
                analysis=dict(c.analysis),
                recording_mode=c.recording_mode,
                segment_seconds=c.segment_seconds,
                segments_dir=str(storage.segments_dir(runtime.settings.data_dir, c.id)),
                realtime=video.files_in_real_time,
                loop_files=video.loop_files,
                snapshot_interval_s=video.snapshot_interval_s,
                retry_initial_s=video.retry_initial_s,
                retry_max_s=video.retry_max_s,
            )
            for c in cameras
        }


def make_backend(runtime: Runtime) -> Backend:
    """Ray actors when ``video.ray_address`` is set, else local worker processes."""
    video = runtime.settings.video
    if video.ray_address:
        from signalfire.cameras.workers.ray_pool import RayPool

        return RayPool(video.ray_address)
    from signalfire.cameras.workers.local_pool import LocalPool

    return LocalPool(max(1, video.workers))


class Supervisor:
    """Drives a backend from the registry and stores its messages."""

    def __init__(self, runtime: Runtime, backend: Backend) -> None:
        self.runtime = runtime
        self.backend = backend
        self.handled = 0

    def sync(self) -> None:
        """Hand the enabled cameras to the workers and restart dead ones."""
        self.backend.revive()
        self.backend.assign(jobs_of(self.runtime))

    def step(self, timeout: float = 0.2) -> int:
        """Store what the workers sent within ``timeout``; returns how many messages."""
        count = 0
        for message in self.backend.poll(timeout):
            try:
                ingest.handle(self.runtime, message)
            except Exception:
                log.exception(
                    "could not store a camera worker's message",
                    extra={"message": type(message).__name__},
                )
            count += 1
        self.handled += count
        return count

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set."""
        next_sync = 0.0
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_sync:
                try:
                    self.sync()
                except Exception:
                    log.exception("camera supervisor could not read the registry")
                next_sync = now + SYNC_EVERY_S
            self.step()
