"""Enforce each camera's recording retention, now and then, in the server."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from signalfire.cameras.recordings import exports
from signalfire.cameras.recordings import service as recordings
from signalfire.core import clock
from signalfire.core.db import transaction
from signalfire.core.purge import run_periodically
from signalfire.core.runtime import Runtime

log = logging.getLogger("signalfire.cameras")


def purge_expired(runtime: Runtime) -> int:
    """Delete recordings past retention (held ones stay); returns the files removed."""
    data_dir, now = runtime.settings.data_dir, clock.now()
    with transaction(runtime.sessions) as db:
        doomed = recordings.purge(db=db, data_dir=data_dir, now=now)
        doomed += exports.expired(db, data_dir, now)
    for path in doomed:  # only after the commit: a failed purge leaves every file
        Path(path).unlink(missing_ok=True)
    if doomed:
        log.info("camera recordings purged", extra={"files": len(doomed)})
    return len(doomed)


async def purge_periodically(runtime: Runtime) -> None:
    """Run :func:`purge_expired` now and then every ``video.purge_interval_minutes``."""
    await run_periodically(
        functools.partial(purge_expired, runtime),
        every_s=runtime.settings.video.purge_interval_minutes * 60,
        what="camera recordings",
        log=log,
    )
