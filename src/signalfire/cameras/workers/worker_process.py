"""The body of a local camera worker process: run the cameras it is told to run.

The parent sends ``("watch", job)``, ``("drop", camera_id)`` or ``("stop", None)`` down a
pipe; the worker sends :mod:`~signalfire.cameras.workers.messages` back up another. It never
touches the database.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from signalfire.cameras.workers.messages import CameraJob, Message

if TYPE_CHECKING:  # the models load in the worker only, not in the server that spawns it
    from signalfire.cameras.workers.runner import CameraRunner

log = logging.getLogger("signalfire.cameras")


class Worker:
    """The cameras of one worker (a process, or a Ray actor for a single camera)."""

    def __init__(self, name: str, send: Any) -> None:
        self.name = name
        self._send = send
        from signalfire.cameras.workers.privacy import FaceBlur

        self._lock = threading.Lock()
        self.faces = FaceBlur()
        self.runners: dict[int, CameraRunner] = {}

    def sink(self, message: Message) -> None:
        """Hand a message to the parent (camera threads share the pipe)."""
        with self._lock:
            self._send(message)

    def watch(self, job: CameraJob) -> None:
        """Run ``job``, replacing the camera's old job if it changed."""
        from signalfire.cameras.workers.runner import CameraRunner

        current = self.runners.get(job.camera_id)
        if current is not None:
            if current.job == job and current.running:
                return
            current.stop()
        runner = CameraRunner(job, self.sink, faces=self.faces, worker=self.name)
        self.runners[job.camera_id] = runner
        runner.start()

    def drop(self, camera_id: int) -> None:
        """Stop running a camera."""
        runner = self.runners.pop(camera_id, None)
        if runner is not None:
            runner.stop()

    def stop_all(self) -> None:
        """Stop every camera."""
        for camera_id in list(self.runners):
            self.drop(camera_id)


def worker_name(index: int) -> str:
    """How health reports name this worker: host, process id and slot."""
    return f"{socket.gethostname()}:{os.getpid()}/{index}"


def main(index: int, commands: Connection, results: Connection) -> None:
    """Serve the parent's commands until told to stop or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    worker = Worker(worker_name(index), results.send)
    try:
        while True:
            if not commands.poll(1.0):
                continue
            try:
                verb, argument = commands.recv()
            except EOFError:
                return
            if verb == "watch":
                worker.watch(argument)
            elif verb == "drop":
                worker.drop(argument)
            elif verb == "stop":
                return
    finally:
        worker.stop_all()
