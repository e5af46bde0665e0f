"""Enforce the AVL history retention period."""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from signalfire.core import clock
from signalfire.core.db import transaction
from signalfire.core.purge import run_periodically
from signalfire.core.runtime import Runtime
from signalfire.units import positions

log = logging.getLogger("signalfire.units")


def purge_expired(runtime: Runtime) -> int:
    """Delete position history older than the configured retention; returns the count."""
    days = runtime.settings.units.position_retention_days
    with transaction(runtime.sessions) as db:
        removed = positions.purge(db=db, older_than=clock.now() - timedelta(days=days))
    if removed:
        log.info("position history purged", extra={"removed": removed, "retention_days": days})
    return removed


async def purge_periodically(runtime: Runtime) -> None:
    """Run :func:`purge_expired` now and then every ``purge_interval_minutes``."""
    await run_periodically(
        functools.partial(purge_expired, runtime),
        every_s=runtime.settings.units.purge_interval_minutes * 60,
        what="position",
        log=log,
    )
