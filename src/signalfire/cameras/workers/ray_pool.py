"""Cameras on a Ray cluster: one actor per camera, recreated when it dies.

Chosen by ``video.ray_address`` (``SIGNALFIRE_VIDEO_RAY_ADDRESS``): a cluster address,
``auto`` or ``local``. Each actor runs the same camera runner as a local worker process
and keeps its messages until the supervisor collects them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError

from signalfire.cameras.workers.messages import CameraJob, Message
from signalfire.cameras.workers.worker_process import Worker

log = logging.getLogger("signalfire.cameras")


class CameraActor:
    """One camera on a Ray worker; :meth:`drain` hands over what it saw so far."""

    def __init__(self, name: str) -> None:
        self._lock = threading.Lock()
        self._outbox: list[Message] = []
        self.worker = Worker(name, self._keep)

    def _keep(self, message: Message) -> None:
        with self._lock:
            self._outbox.append(message)

    def watch(self, job: CameraJob) -> bool:
        """Run ``job`` (replacing the one before)."""
        self.worker.watch(job)
        return True

    def drain(self) -> list[Message]:
        """The messages since the last call."""
        with self._lock:
            out, self._outbox = self._outbox, []
        return out

    def stop(self) -> bool:
        """Stop the camera."""
        self.worker.stop_all()
        return True


def connect(address: str) -> None:
    """Join (or, for ``local``, start) the Ray cluster unless already connected."""
    if ray.is_initialized():
        return
    if address == "local":
        ray.init(include_dashboard=False, log_to_driver=False)
    else:
        ray.init(address=address, log_to_driver=False)


class RayPool:
    """One :class:`CameraActor` per camera."""

    def __init__(self, address: str, *, num_cpus: float = 1.0) -> None:
        connect(address)
        self._remote = ray.remote(num_cpus=num_cpus, max_restarts=0)(CameraActor)
        self._actors: dict[int, Any] = {}
        self._jobs: dict[int, CameraJob] = {}
        self._dead: set[int] = set()
        self.restarts = 0

    def _start(self, job: CameraJob) -> None:
        actor: Any = self._remote.options(name=None).remote(f"ray-camera-{job.camera_id}")
        actor.watch.remote(job)
        self._actors[job.camera_id] = actor
        self._jobs[job.camera_id] = job

    def assign(self, jobs: dict[int, CameraJob]) -> None:
        """One actor per job; changed jobs restart in their actor, removed ones end."""
        for camera_id in list(self._actors):
            if camera_id not in jobs:
                self._end(camera_id)
        for camera_id, job in jobs.items():
            if camera_id not in self._actors:
                self._start(job)
            elif self._jobs[camera_id] != job:
                self._jobs[camera_id] = job
                self._actors[camera_id].watch.remote(job)

    def _end(self, camera_id: int) -> None:
        actor = self._actors.pop(camera_id)
        self._jobs.pop(camera_id, None)
        with contextlib.suppress(RayActorError, GetTimeoutError):
            ray.get(actor.stop.remote(), timeout=5)
        ray.kill(actor)

    def actor(self, camera_id: int) -> Any:
        """The actor handle running a camera (operators and tests)."""
        return self._actors[camera_id]

    def revive(self) -> list[int]:
        """Recreate the actors found dead at the last poll."""
        revived = sorted(self._dead & set(self._actors))
        for camera_id in revived:
            log.warning("camera actor died; recreating it", extra={"camera": camera_id})
            self._start(self._jobs[camera_id])
            self.restarts += 1
        self._dead.clear()
        return revived

    def poll(self, timeout: float) -> Iterator[Message]:
        """Collect every actor's messages (waits ``timeout`` when there were none)."""
        calls = {camera_id: a.drain.remote() for camera_id, a in self._actors.items()}
        got = 0
        for camera_id, ref in calls.items():
            try:
                messages: list[Message] = ray.get(ref, timeout=max(timeout, 5.0))
            except RayActorError:
                self._dead.add(camera_id)
                continue
            except GetTimeoutError:
                continue  # busy, not dead: its messages wait for the next poll
            got += len(messages)
            yield from messages
        if not got:
            time.sleep(timeout)

    def close(self) -> None:
        """End every actor (the Ray connection stays for the process)."""
        for camera_id in list(self._actors):
            self._end(camera_id)
