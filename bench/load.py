"""The HTTP load generator of the benchmarks: aiohttp over keep-alive connections.

It shares the machine's two cores with the server under test, so it has to be light:
aiohttp spends about a fifth of the CPU per request that httpx does, which leaves the
server (and the peer) the CPU the figures are about.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import aiohttp


async def post_all(
    url: str,
    bodies: Sequence[object],
    *,
    headers: dict[str, str],
    concurrency: int,
    expect: int = 201,
) -> float:
    """POST every body (as JSON) from ``concurrency`` clients; returns requests per second.

    Raises if any answer is not ``expect``, naming the status and body.
    """
    queue: asyncio.Queue[object] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        headers=headers, connector=connector, timeout=timeout
    ) as session:

        async def client() -> None:
            while not queue.empty():
                async with session.post(url, json=queue.get_nowait()) as response:
                    answer = await response.read()
                    if response.status != expect:
                        raise RuntimeError(f"{response.status}: {answer[:500]!r}")

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - started)
