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
    """Start the configured workers and supervise them until ``stop`` is set; then stop
    the workers and give up the camera leases, so another supervisor takes the cameras
    at its next heartbeat."""
    backend = make_backend(runtime)
    supervisor = Supervisor(runtime, backend)
    try:
        supervisor.run(stop)
    finally:
        backend.close()
        try:
            supervisor.release()
        except Exception:
            log.exception("could not release the camera leases; they expire on their own")


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
