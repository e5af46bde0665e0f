"""Jobs a stopped server left running: which process holds a running job, and how a
starting server tells that the holder is gone.

A running job (analysing or exporting) names its holder, ``host:pid:token`` (the token
is new for each job store). When a server starts it marks failed, with the reason,
every running job whose holder is gone:

* a process of this host whose id no longer runs, or has this process's id (a restarted
  container) but a token of no job store of this process; or
* any holder, on any host, that has written nothing (progress, heartbeat: at least once
  a second while its worker runs) for :data:`STALE_AFTER`.

Jobs of live processes, here or on other replicas, are left alone. A job is not
resumed: its holder may have died of it (a clip that exhausts memory would kill every
server that resumed it), and its reviewer decides whether to start or export it again;
an analysed job keeps its analysis, so "export it again" needs no new analysis. A
cut-off export's file, never audited, is removed (no export leaves without its audit
entry).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from signalfire.core import clock
from signalfire.core.db import transaction
from signalfire.redaction.models import RUNNING, RedactionJob

log = logging.getLogger(__name__)

#: A running job whose holder has written nothing (progress, heartbeat) for this long
#: is taken to be cut off, whichever process held it.
STALE_AFTER = timedelta(minutes=15)

_HOST = socket.gethostname()
_live_holders: set[str] = set()  # the job stores of this process


def new_holder() -> str:
    """A holder id for a new job store of this process (live until :func:`release`)."""
    holder = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    _live_holders.add(holder)
    return holder


def release(holder: str) -> None:
    """``holder``'s job store is closed: its running jobs may be taken as cut off."""
    _live_holders.discard(holder)


def holder_gone(holder: str | None) -> bool:
    """Whether ``holder`` (``host:pid:token``) is a process of this host that has
    stopped: its process id runs no more, or is this process's own (a restarted
    container) while the token is none of this process's job stores."""
    if holder is None:
        return True
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != _HOST or not parts[1].isdigit():
        return False
    if holder in _live_holders:
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, someone else's
        return False
    return False


def recover(*, db: Session, root: Path) -> list[str]:
    """Mark failed every job left analysing or exporting by a process that is gone
    (:func:`holder_gone`) or silent for :data:`STALE_AFTER`, with the reason; an
    interrupted export's file, never audited, is removed. The ids, for the log."""
    now = clock.now()
    rows = db.scalars(
        select(RedactionJob).where(RedactionJob.status.in_(RUNNING)).with_for_update()
    )
    failed = []
    for row in rows:
        if not (holder_gone(row.holder) or now - row.updated_at > STALE_AFTER):
            continue
        again = "start it again" if row.status == "analysing" else "export it again"
        row.error = f"the server stopped while this job was {row.status}; {again}"
        if row.status == "exporting":
            row.report = None
            for name in ("redacted.mp4", "report.json"):
                (root / row.id / name).unlink(missing_ok=True)
        row.status, row.stage, row.holder = "failed", "idle", None
        row.updated_at = row.finished_at = now
        failed.append(row.id)
    db.flush()
    if failed:
        log.warning("redaction jobs cut off by a stopped server, marked failed: %s", failed)
    return failed


def recover_at_start(sessions: sessionmaker[Session], root: Path) -> None:
    """:func:`recover` in a transaction of its own, when a server starts; a failure is
    logged (the jobs stay as they are until the next start), never fatal."""
    try:
        with transaction(sessions) as db:
            recover(db=db, root=root)
    except Exception:
        log.exception("redaction jobs left running by a stopped server were not checked")
