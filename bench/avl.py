"""AVL positions accepted per second through the HTTP API, embedded SQLite, one process.

Run: ``.venv/bin/python -m bench.avl``.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta

import httpx2 as httpx

from bench.harness import machine, peer_served, record, served

UNITS = 200
BATCH = 200
BATCHES = 100
CONCURRENCY = 4


def batches(unit_ids: list[int]) -> list[dict[str, object]]:
    """``BATCHES`` batches; each unit reports once a second along a random walk."""
    rng = random.Random(3)
    start = datetime(2026, 11, 26, 12, tzinfo=UTC)
    made: list[dict[str, object]] = []
    tick = 0
    for _ in range(BATCHES):
        positions: list[dict[str, object]] = []
        for _ in range(BATCH):
            unit = unit_ids[tick % len(unit_ids)]
            moment = start + timedelta(seconds=tick // len(unit_ids))
            positions.append(
                {
                    "unit_id": unit,
                    "lat": 60.16 + rng.random() * 0.02,
                    "lon": 24.93 + rng.random() * 0.03,
                    "heading": rng.random() * 359,
                    "speed": rng.random() * 20,
                    "time": moment.isoformat(),
                }
            )
            tick += 1
        made.append({"positions": positions})
    return made


async def drive(url: str, headers: dict[str, str], unit_ids: list[int]) -> float:
    """Send every batch from ``CONCURRENCY`` clients; returns positions/s."""
    queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    for item in batches(unit_ids):
        queue.put_nowait(item)
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:

        async def worker() -> None:
            while not queue.empty():
                response = await client.post(url, json=queue.get_nowait())
                if response.status_code != 200:
                    raise RuntimeError(response.text)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return BATCH * BATCHES / (time.perf_counter() - started)


def main() -> None:
    with served(units_count=UNITS) as install:
        ours = asyncio.run(
            drive(
                f"{install.base_url}/api/positions",
                {"Authorization": f"Bearer {install.tokens['gateway']}"},
                install.unit_ids,
            )
        )
    with peer_served() as peer:
        floor = asyncio.run(drive(f"{peer.base_url}/positions", {}, list(range(1, UNITS + 1))))
    record(
        "AVL positions",
        f"""
Command: `.venv/bin/python -m bench.avl` ({machine()}).
{BATCH * BATCHES:,} positions of {UNITS} units in batches of {BATCH} (`POST /api/positions`),
{CONCURRENCY} concurrent HTTP clients, one `signalfire serve` process on embedded SQLite. Each
batch is validated, checked against the units' agency, stored in the history (duplicates
ignored by a unique key), moves each unit's latest position and is published on the bus,
in one transaction. Peer in the same run: `bench/peer_app.py`, a bare FastAPI endpoint doing
one `sqlite3` `executemany` `INSERT OR IGNORE` per batch.

| system | positions/s |
|---|---:|
| Signalfire `POST /api/positions` | {ours:,.0f} |
| peer: bare FastAPI + sqlite3 executemany | {floor:,.0f} |

Target: >= 5,000 positions/s.
""",
    )
    print(f"signalfire {ours:.0f}/s, peer {floor:.0f}/s")


if __name__ == "__main__":
    main()
