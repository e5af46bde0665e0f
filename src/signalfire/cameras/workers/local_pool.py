"""Local worker processes: cameras spread over N processes, restarted when one dies."""

from __future__ import annotations

import logging
import multiprocessing as mp
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from signalfire.cameras.workers import worker_process
from signalfire.cameras.workers.messages import CameraJob, Message

log = logging.getLogger("signalfire.cameras")


@dataclass(slots=True)
class _Slot:
    """One worker process and the cameras it runs."""

    index: int
    process: BaseProcess
    commands: Connection
    results: Connection
    jobs: dict[int, CameraJob] = field(default_factory=dict)


class LocalPool:
    """``size`` worker processes (spawned, so they share nothing with the server)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a local pool needs at least one worker process")
        self._ctx = mp.get_context("spawn")
        self.size = size
        self.restarts = 0
        self._slots: list[_Slot] = []  # started with the first camera

    def _started(self) -> list[_Slot]:
        if not self._slots:
            self._slots = [self._spawn(i) for i in range(self.size)]
        return self._slots

    def _spawn(self, index: int, jobs: dict[int, CameraJob] | None = None) -> _Slot:
        parent_commands, child_commands = self._ctx.Pipe(duplex=False)
        parent_results, child_results = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(
            target=worker_process.main,
            args=(index, parent_commands, child_results),
            name=f"signalfire-camera-worker-{index}",
            daemon=True,
        )
        process.start()
        parent_commands.close()
        child_results.close()
        slot = _Slot(index, process, child_commands, parent_results)
        for job in (jobs or {}).values():
            self._send(slot, "watch", job)
        return slot

    @staticmethod
    def _send(slot: _Slot, verb: str, argument: object) -> None:
        try:
            slot.commands.send((verb, argument))
        except (BrokenPipeError, OSError):
            return  # the process is gone; revive() restarts it with its jobs
        if verb == "watch" and isinstance(argument, CameraJob):
            slot.jobs[argument.camera_id] = argument
        elif verb == "drop" and isinstance(argument, int):
            slot.jobs.pop(argument, None)

    @property
    def pids(self) -> list[int | None]:
        """Process ids of the workers (for operators and tests)."""
        return [slot.process.pid for slot in self._slots]

    def where(self, camera_id: int) -> int | None:
        """The worker slot running ``camera_id``."""
        return next((s.index for s in self._slots if camera_id in s.jobs), None)

    def assign(self, jobs: dict[int, CameraJob]) -> None:
        """Run exactly ``jobs``: new cameras go to the least busy worker, changed ones
        restart where they are, removed ones stop."""
        if not jobs and not self._slots:
            return
        for slot in self._started():
            for camera_id in list(slot.jobs):
                if camera_id not in jobs:
                    self._send(slot, "drop", camera_id)
        for camera_id, job in jobs.items():
            index = self.where(camera_id)
            slot = (
                self._slots[index]
                if index is not None
                else min(self._slots, key=lambda s: (len(s.jobs), s.index))
            )
            if slot.jobs.get(camera_id) != job:
                self._send(slot, "watch", job)

    def revive(self) -> list[int]:
        """Restart dead workers with the cameras they had; returns their slots."""
        revived = []
        for i, slot in enumerate(self._slots):
            if slot.process.is_alive():
                continue
            log.warning(
                "camera worker died; restarting it",
                extra={"slot": slot.index, "exitcode": slot.process.exitcode},
            )
            slot.results.close()
            slot.commands.close()
            self._slots[i] = self._spawn(slot.index, slot.jobs)
            self.restarts += 1
            revived.append(slot.index)
        return revived

    def poll(self, timeout: float) -> Iterator[Message]:
        """Messages from the workers, waiting at most ``timeout`` for the first."""
        readers = [slot.results for slot in self._slots if not slot.results.closed]
        if not readers:
            time.sleep(timeout)
            return
        for ready in wait(readers, timeout):
            conn = ready if isinstance(ready, Connection) else None
            if conn is None:
                continue
            for _ in range(500):  # then the other workers get their turn
                try:
                    if not conn.poll():
                        break
                    yield conn.recv()
                except (EOFError, OSError):
                    break  # the worker died; revive() takes care of it

    def close(self) -> None:
        """Stop every worker (killing those that do not stop within seconds)."""
        for slot in self._slots:
            self._send(slot, "stop", None)
        for slot in self._slots:
            slot.process.join(5)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(2)
            slot.commands.close()
            slot.results.close()
