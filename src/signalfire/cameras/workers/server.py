"""The cameras' background work inside the API server: workers and the retention purge."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from signalfire.cameras.recordings import retention
from signalfire.cameras.workers.supervisor import Supervisor, make_backend
from signalfire.core.runtime import Runtime

log = logging.getLogger("signalfire.cameras")


def supervise(runtime: Runtime, stop: threading.Event) -> None:
    """Start the configured workers and supervise them until ``stop`` is set."""
    backend = make_backend(runtime)
    try:
        Supervisor(runtime, backend).run(stop)
    finally:
        backend.close()


async def run(runtime: Runtime) -> None:
    """Purge expired recordings now and then; when ``video.workers`` > 0 (or Ray is
    configured), also run and supervise the camera workers. Ends when cancelled."""
    video = runtime.settings.video
    purge = asyncio.create_task(retention.purge_periodically(runtime))
    stop = threading.Event()
    work = None
    if video.workers > 0 or video.ray_address:
        work = asyncio.create_task(asyncio.to_thread(supervise, runtime, stop))
    try:
        await asyncio.gather(purge, *(t for t in [work] if t is not None))
    finally:
        stop.set()
        purge.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purge
        if work is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.shield(work)
