"""Run a retention purge now and then, in the background of the API server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool


async def run_periodically(
    purge: Callable[[], int], *, every_s: float, what: str, log: logging.Logger
) -> None:
    """Run ``purge`` (in a thread) now and then every ``every_s`` seconds, until cancelled.

    A failed run is logged as ``"<what> purge failed"`` and tried again at the next
    interval; it never ends the loop.
    """
    while True:
        try:
            await run_in_threadpool(purge)
        except Exception:
            log.exception("%s purge failed; retrying at the next interval", what)
        await asyncio.sleep(every_s)
