"""The HTTP load generator of the benchmarks: aiohttp over keep-alive connections.

It shares the machine's two cores with the server under test, so it has to be light:
aiohttp spends about a fifth of the CPU per request that httpx does, which leaves the
server (and the peer) the CPU the figures are about.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True, slots=True)
class Posted:
    """What a load run measured: the rate, each request's latency and each answer."""

    rate: float  # requests per second over the whole run
    latencies_ms: list[float]
    answers: list[bytes]


async def post_all(
    url: str | Sequence[str],
    bodies: Sequence[object],
    *,
    headers: dict[str, str],
    concurrency: int,
    expect: int = 201,
) -> Posted:
    """POST every body (as JSON) from ``concurrency`` clients, to ``url`` or to the
    matching one of a list of URLs.

    Raises if any answer is not ``expect``, naming the status and body.
    """
    urls = [url] * len(bodies) if isinstance(url, str) else url
    queue: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
    for item in zip(urls, bodies, strict=True):
        queue.put_nowait(item)
    latencies: list[float] = []
    answers: list[bytes] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        headers=headers, connector=connector, timeout=timeout
    ) as session:

        async def client() -> None:
            while not queue.empty():
                target, payload = queue.get_nowait()
                sent = time.perf_counter()
                async with session.post(target, json=payload) as response:
                    answer = await response.read()
                    if response.status != expect:
                        raise RuntimeError(f"{response.status}: {answer[:500]!r}")
                latencies.append(1000 * (time.perf_counter() - sent))
                answers.append(answer)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return Posted(len(bodies) / (time.perf_counter() - started), latencies, answers)
