"""The supervisor: keeps the workers running the enabled cameras and stores what they say.

It runs where the database is (inside ``signalfire serve`` or as ``signalfire cameras
work``): every heartbeat (``video.lease_heartbeat_s``) it reads the registry, renews its
camera leases and takes free or expired ones (:mod:`~signalfire.cameras.workers.lease`),
hands each camera it holds to a worker (a local process, or a Ray actor per camera),
stops those it lost, restarts dead workers, and stores the health, events (as alerts),
snapshots and segments they send back. With several supervisors on one database each
camera runs under exactly one of them; a lone supervisor simply holds every lease.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Protocol

from sqlalchemy import select

from signalfire.cameras.models import Camera
from signalfire.cameras.recordings import storage
from signalfire.cameras.workers import ingest, lease
from signalfire.cameras.workers.messages import CameraJob, Message
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime

log = logging.getLogger("signalfire.cameras")


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
    """Drives a backend from the registry and the camera leases and stores its messages."""

    def __init__(self, runtime: Runtime, backend: Backend, *, holder: str | None = None) -> None:
        self.runtime = runtime
        self.backend = backend
        self.handled = 0
        self.holder = holder or lease.new_holder()
        self.held: frozenset[int] = frozenset()  # the cameras whose lease it holds
        self._held_until = 0.0  # monotonic: past it, another may hold them

    def sync(self) -> None:
        """Renew and take camera leases, run the cameras held (only those), restart dead
        workers."""
        video = self.runtime.settings.video
        started = time.monotonic()
        jobs = jobs_of(self.runtime)
        with transaction(self.runtime.sessions) as db:
            held = lease.claim(
                db=db,
                holder=self.holder,
                camera_ids=list(jobs),
                duration=timedelta(seconds=video.lease_s),
            )
        self._held_until = started + video.lease_s
        lost = self.held.intersection(jobs) - held
        if lost:
            log.warning(
                "camera leases taken by another supervisor; stopping those cameras",
                extra={"cameras": sorted(lost), "holder": self.holder},
            )
        self.held = frozenset(held)
        self.backend.revive()
        self.backend.assign({i: job for i, job in jobs.items() if i in held})

    def holding(self) -> frozenset[int]:
        """The cameras held now: none once the leases may have expired unrenewed."""
        return self.held if time.monotonic() < self._held_until else frozenset()

    def expire(self) -> None:
        """Stop every camera when the leases ran out without a renewal (the database
        was out of reach), before another supervisor may take them."""
        if self.held and not self.holding():
            log.warning(
                "camera leases ran out unrenewed; stopping their cameras",
                extra={"cameras": sorted(self.held), "holder": self.holder},
            )
            self.held = frozenset()
            self.backend.assign({})

    def release(self) -> None:
        """Give up every lease now (after the workers stopped), for another supervisor."""
        self.held = frozenset()
        with transaction(self.runtime.sessions) as db:
            lease.release(db=db, holder=self.holder)

    def step(self, timeout: float = 0.2) -> int:
        """Store what the workers sent within ``timeout`` about cameras it holds (a
        camera it lost may still report until its worker stops); returns how many
        messages."""
        count = 0
        for message in self.backend.poll(timeout):
            count += 1
            if message.camera_id not in self.holding():
                continue
            try:
                ingest.handle(self.runtime, message)
            except Exception:
                log.exception(
                    "could not store a camera worker's message",
                    extra={"message": type(message).__name__},
                )
        self.handled += count
        return count

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set (then the caller stops the workers and calls
        :meth:`release`)."""
        every = self.runtime.settings.video.lease_heartbeat_s
        next_sync = 0.0
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_sync:
                try:
                    self.sync()
                except Exception:
                    log.exception("camera supervisor could not read the registry or leases")
                    self.expire()
                next_sync = now + every
            self.step()
