"""Scale-out: intake through HAProxy with one and two replicas on PostgreSQL and NATS
JetStream, live delivery from one replica to a console on another, and failover time
after ``kill -9`` of a replica; beside the embedded single process (SQLite) in the same run.

Run: ``.venv/bin/python -m bench.replicas`` (needs PostgreSQL: the server of
``SIGNALFIRE_BENCH_POSTGRES``, by default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``,
where it makes and drops a database of its own).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx2 as httpx
import websockets
from tests.conftest import throwaway_postgres
from tests.ha.processes import Process, behind_haproxy
from tests.nats_process import running_nats

from bench.harness import cpu_seconds, machine, percentile, record, seed, served
from bench.intake import CONCURRENCY, body
from bench.load import post_all
from signalfire.core.config import load_settings
from signalfire.core.runtime import build_runtime

INCIDENTS = 2000
LIVE_CALLS = 300
LIVE_RATE = 20.0  # calls per second while live delivery is timed
FAILOVER_CLIENTS = 8
LIVE_TARGET_MS = 100.0
FAILOVER_TARGET_S = 5.0
POSTGRES = os.environ.get(
    "SIGNALFIRE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass(frozen=True, slots=True)
class Site:
    """Replicas and HAProxy running on one database and one NATS server."""

    replicas: list[tuple[Process, str]]
    front: str
    token: str


@contextmanager
def site(directory: Path, count: int) -> Iterator[Site]:
    """``count`` replicas of `signalfire serve` behind HAProxy, on a fresh database."""
    with (
        throwaway_postgres("signalfire_bench", POSTGRES) as url,
        running_nats(directory) as nats_url,
    ):
        rt = build_runtime(load_settings(database={"url": url}, data_dir=directory))
        made, _units = seed(rt, units_count=10)
        rt.engine.dispose()
        settings = {
            "SIGNALFIRE_DATABASE__URL": url,
            "SIGNALFIRE_BUS__URL": nats_url,
            "SIGNALFIRE_LOG__LEVEL": "WARNING",
            "SIGNALFIRE_GEO__PRELOAD": "false",
            "SIGNALFIRE_VIDEO__WORKERS": "0",
        }
        names = [f"r{n}" for n in range(count)]
        with behind_haproxy(directory, settings, names) as (replicas, front):
            yield Site(replicas, front, made["dispatcher"])


@dataclass(frozen=True, slots=True)
class Intake:
    rate: float
    cpu_ms: float  # server CPU per intake, every replica together


def intake(url: str, token: str, pids: list[int]) -> Intake:
    rng = random.Random(7)
    spent = sum(cpu_seconds(pid) for pid in pids)
    posted = asyncio.run(
        post_all(
            url,
            [body(rng) for _ in range(INCIDENTS)],
            headers={"Authorization": f"Bearer {token}"},
            concurrency=CONCURRENCY,
        )
    )
    cpu = sum(cpu_seconds(pid) for pid in pids) - spent
    return Intake(posted.rate, 1000 * cpu / INCIDENTS)


def pids(running: Site) -> list[int]:
    return [p.popen.pid for p, _base in running.replicas if p.popen is not None]


async def live_delays(writer: str, reader: str, token: str) -> list[float]:
    """Milliseconds from each 201 on ``writer`` to its delta on a console of ``reader``."""
    rng = random.Random(9)
    answered: dict[str, float] = {}
    seen: dict[str, float] = {}
    socket_url = reader.replace("http://", "ws://") + f"/api/live?token={token}"
    async with websockets.connect(socket_url, max_size=None) as socket:
        json.loads(await socket.recv())  # the snapshot

        async def listen() -> None:
            while len(seen) < LIVE_CALLS:
                message = json.loads(await socket.recv())
                if message.get("topic") == "incident.changed":
                    seen.setdefault(message["data"]["incident"]["number"], time.perf_counter())

        listener = asyncio.create_task(listen())
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            for _ in range(LIVE_CALLS):
                async with session.post(f"{writer}/api/incidents", json=body(rng)) as response:
                    number = (await response.json())["incident"]["number"]
                    answered[number] = time.perf_counter()
                await asyncio.sleep(1 / LIVE_RATE)
        await asyncio.wait_for(listener, 30)
    return [1000 * (seen[n] - answered[n]) for n in answered]


@dataclass(frozen=True, slots=True)
class Failover:
    first_s: float  # kill -9 to the first 201 on the survivor
    stall_s: float  # longest time without any 201 around the kill
    server_errors: dict[int, int]  # status: how many (requests in flight at the kill)
    retried: int  # connection errors the clients saw and retried


def failover(running: Site) -> Failover:
    """Intake through HAProxy from several clients; ``kill -9`` of the first replica."""
    stop = threading.Event()
    lock = threading.Lock()
    answers: list[tuple[float, int | str]] = []
    headers = {"Authorization": f"Bearer {running.token}"}

    def client(seed_: int) -> None:
        rng = random.Random(seed_)
        with httpx.Client(headers=headers, timeout=10) as http:
            while not stop.is_set():
                try:
                    status: int | str = http.post(
                        f"{running.front}/api/incidents", json=body(rng)
                    ).status_code
                except httpx.TransportError as exc:
                    status = type(exc).__name__
                with lock:
                    answers.append((time.monotonic(), status))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(FAILOVER_CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    killed_at = time.monotonic()
    running.replicas[0][0].kill()
    time.sleep(6)
    stop.set()
    for thread in threads:
        thread.join(20)
    done = sorted(t for t, status in answers if status == 201)
    after = [t for t in done if t > killed_at]
    before = [t for t in done if t <= killed_at]
    gaps = [b - a for a, b in zip([before[-1], *after], after, strict=False)]
    return Failover(
        first_s=after[0] - killed_at,
        stall_s=max(gaps, default=0.0),
        server_errors=dict(Counter(s for _t, s in answers if isinstance(s, int) and s >= 500)),
        retried=sum(1 for _t, s in answers if isinstance(s, str)),
    )


def main() -> None:
    with served(units_count=10) as embedded:
        single = intake(
            f"{embedded.base_url}/api/incidents", embedded.tokens["dispatcher"], [embedded.pid]
        )
    scaled: dict[int, Intake] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (1, 2):
            directory = Path(tmp) / f"site{count}"
            directory.mkdir()
            with site(directory, count) as running:
                scaled[count] = intake(
                    f"{running.front}/api/incidents", running.token, pids(running)
                )
                if count == 2:
                    (_a, on_a), (_b, on_b) = running.replicas
                    delays = asyncio.run(live_delays(on_a, on_b, running.token))
                    cut = failover(running)
    p50, p99 = percentile(delays, 50), percentile(delays, 99)
    record(
        "Replicas: intake, live delivery and failover",
        f"""
Command: `.venv/bin/python -m bench.replicas` ({machine()}; everything below shares
these CPUs: the replicas, PostgreSQL, NATS, HAProxy and the load generator).
Each replica is `signalfire serve` with `SIGNALFIRE_DATABASE__URL` on a fresh PostgreSQL
database and `SIGNALFIRE_BUS__URL` on one NATS JetStream server (file storage, fsync
before each acknowledgement), behind HAProxy with `deploy/haproxy/haproxy.cfg`. Peer in
the same run: the embedded default, one `signalfire serve` process on SQLite.

{INCIDENTS} intakes from {CONCURRENCY} clients (as `bench.intake`'s fresh run); server CPU
is every replica's user + system time per intake (PostgreSQL, NATS and HAProxy not
counted).

| setup | incidents/s | replica CPU ms per intake |
|---|---:|---:|
| embedded: 1 process, SQLite (peer) | {single.rate:,.0f} | {single.cpu_ms:.2f} |
| 1 replica, PostgreSQL + NATS, via HAProxy | {scaled[1].rate:,.0f} | {scaled[1].cpu_ms:.2f} |
| 2 replicas, PostgreSQL + NATS, via HAProxy | {scaled[2].rate:,.0f} | {scaled[2].cpu_ms:.2f} |

Live delivery across replicas: {LIVE_CALLS} calls at {LIVE_RATE:.0f}/s to replica A; a
console on replica B; time from A's 201 to the delta on B (outbox, relay, JetStream,
B's ordered consumer, B's live hub): p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 <
{LIVE_TARGET_MS:.0f} ms: **{"met" if p99 < LIVE_TARGET_MS else "not met"}**).

Failover: {FAILOVER_CLIENTS} clients posting intakes through HAProxy; `kill -9` of one
of the two replicas. First 201 after the kill: {cut.first_s:.2f} s; the longest time
with no 201 at all around the kill: {cut.stall_s:.2f} s (target < {FAILOVER_TARGET_S:.0f}
s: **{"met" if max(cut.first_s, cut.stall_s) < FAILOVER_TARGET_S else "not met"}**).
Server errors by status: {cut.server_errors or "none"}; connection errors the clients
retried: {cut.retried}. A server error here is HAProxy's answer to a request that was in
flight on the killed replica: whether that intake was stored is unknown to the client
(the fault test `tests/ha/test_failover.py` checks that none comes after the first
success on the survivor, and that every 201 is stored).

PostgreSQL costs a replica more CPU per intake than the embedded SQLite (network round
trips, the outbox row and its relay per event); two replicas on two cores that also run
PostgreSQL, NATS, HAProxy and the load generator do not add throughput here: the figures
show the cost of the scale-out path, not its capacity on machines of its own.
""",
    )
    print(single, scaled, f"live p50 {p50:.1f} p99 {p99:.1f} ms", cut)
    print(f"delays: median {statistics.median(delays):.1f} ms over {len(delays)}")


if __name__ == "__main__":
    main()
