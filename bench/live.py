"""Live-update delivery latency to 50 WebSocket subscribers, embedded SQLite, one process.

Run: ``.venv/bin/python -m bench.live``.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx2 as httpx
import websockets

from bench.harness import machine, peer_served, percentile, record, served

SUBSCRIBERS = 50
INCIDENTS = 200
PAUSE_S = 0.02  # about 50 new incidents a second


async def subscriber(
    url: str, ready: asyncio.Event, latencies: list[float], expected: int, ready_count: list[int]
) -> None:
    async with websockets.connect(url, max_size=2**24) as socket:
        await socket.recv()  # the snapshot
        ready_count[0] += 1
        if ready_count[0] == SUBSCRIBERS:
            ready.set()
        seen = 0
        while seen < expected:
            message = json.loads(await socket.recv())
            arrived = time.time()
            incident = message.get("data", {}).get("incident", {})
            summary = incident.get("summary", "")
            if message.get("type") == "delta" and summary.startswith("sent="):
                latencies.append(arrived - float(summary[5:]))
                seen += 1


async def measure(ws_url: str, post_url: str, headers: dict[str, str]) -> list[float]:
    """Post ``INCIDENTS`` incidents; return every subscriber's delivery latency (s)."""
    latencies: list[float] = []
    ready, count = asyncio.Event(), [0]
    tasks = [
        asyncio.create_task(subscriber(ws_url, ready, latencies, INCIDENTS, count))
        for _ in range(SUBSCRIBERS)
    ]
    await asyncio.wait_for(ready.wait(), 60)
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        for _ in range(INCIDENTS):
            body = {
                "nature_code": "FIRE-ALARM",
                "summary": f"sent={time.time():.6f}",
                "location": {"lat": 60.17, "lon": 24.94, "source": "alarm"},
            }
            response = await client.post(post_url, json=body)
            if response.status_code != 201:
                raise RuntimeError(response.text)
            await asyncio.sleep(PAUSE_S)
    await asyncio.wait_for(asyncio.gather(*tasks), 120)
    return latencies


def figures(latencies: list[float]) -> tuple[float, float, float]:
    ms = [value * 1000 for value in latencies]
    return percentile(ms, 50), percentile(ms, 99), max(ms)


def main() -> None:
    with served(units_count=20) as install:
        token = install.tokens["dispatcher"]
        ws = install.base_url.replace("http", "ws") + f"/api/live?token={token}"
        ours = figures(
            asyncio.run(
                measure(
                    ws, f"{install.base_url}/api/incidents", {"Authorization": f"Bearer {token}"}
                )
            )
        )
    with peer_served() as peer:
        floor = figures(
            asyncio.run(
                measure(
                    peer.base_url.replace("http", "ws") + "/live", f"{peer.base_url}/incidents", {}
                )
            )
        )
    record(
        "Live updates (WebSocket)",
        f"""
Command: `.venv/bin/python -m bench.live` ({machine()}).
{SUBSCRIBERS} WebSocket subscribers on `/api/live` while {INCIDENTS} incidents are created
over HTTP about {1 / PAUSE_S:.0f} a second; latency is from just before the `POST` is sent
to the delta's arrival at each subscriber ({SUBSCRIBERS * INCIDENTS:,} samples), so it
includes the intake transaction, the commit, the bus and the fan-out. Server, producer and
subscribers share this machine's CPUs. Peer in the same run: `bench/peer_app.py`, a bare
FastAPI app that stores the body with `sqlite3` and sends it to every socket inline.

| system | p50 ms | p99 ms | max ms |
|---|---:|---:|---:|
| Signalfire `/api/live` | {ours[0]:.1f} | {ours[1]:.1f} | {ours[2]:.1f} |
| peer: bare FastAPI broadcast | {floor[0]:.1f} | {floor[1]:.1f} | {floor[2]:.1f} |

Target: p99 < 100 ms.
""",
    )
    print(f"signalfire p50/p99 {ours[0]:.1f}/{ours[1]:.1f} ms, peer {floor[0]:.1f}/{floor[1]:.1f}")


if __name__ == "__main__":
    main()
