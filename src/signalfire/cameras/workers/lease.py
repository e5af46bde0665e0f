"""Camera leases: which supervisor analyses which camera, kept in the database.

Every supervisor (one per ``signalfire serve`` or ``signalfire cameras work`` process)
has a holder id. At each heartbeat it calls :func:`claim` with the enabled cameras: its
own leases are renewed, free and expired ones are taken, and it runs exactly the cameras
it then holds. A supervisor that dies stops renewing, so its leases expire and another
takes them; one that stops cleanly gives them up at once (:func:`release`).

No lease is read and then written: a free camera is taken by an ``INSERT ... ON CONFLICT
DO NOTHING`` (the primary key lets one holder in), an expired one by ``UPDATE ... WHERE
expires_at < now``. PostgreSQL re-checks that condition against the row a concurrent
winner committed, and SQLite runs one writer at a time (``BEGIN IMMEDIATE``), so two
holders racing for a camera never both get it.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from signalfire.cameras.models import Camera, CameraLease
from signalfire.core import clock


def new_holder() -> str:
    """A holder id for one supervisor: ``host:pid:random`` (unique even after a restart)."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(4)}"


def claim(
    *, db: Session, holder: str, camera_ids: Collection[int], duration: timedelta
) -> set[int]:
    """Renew ``holder``'s leases on ``camera_ids``, take those of them that are free or
    expired, and give up its leases on any other camera; returns the cameras it now
    holds (a camera missing from the answer belongs to another holder)."""
    now = clock.now()
    expires = now + duration
    give_up = delete(CameraLease).where(CameraLease.holder == holder)
    if camera_ids:
        give_up = give_up.where(CameraLease.camera_id.not_in(camera_ids))
    db.execute(give_up)
    if not camera_ids:
        return set()
    _take_free(db, holder=holder, camera_ids=camera_ids, now=now, expires=expires)
    db.execute(
        update(CameraLease)
        .where(
            CameraLease.camera_id.in_(camera_ids),
            or_(CameraLease.holder == holder, CameraLease.expires_at < now),
        )
        .values(
            acquired_at=case((CameraLease.holder == holder, CameraLease.acquired_at), else_=now),
            holder=holder,
            renewed_at=now,
            expires_at=expires,
        )
        .execution_options(synchronize_session=False)
    )
    return set(db.scalars(select(CameraLease.camera_id).where(CameraLease.holder == holder)))


def _take_free(
    db: Session, *, holder: str, camera_ids: Collection[int], now: datetime, expires: datetime
) -> None:
    """Insert a lease for each of ``camera_ids`` that has none (and still exists)."""
    rows = select(
        Camera.id,
        literal(holder),
        literal(now, CameraLease.acquired_at.type),
        literal(now, CameraLease.renewed_at.type),
        literal(expires, CameraLease.expires_at.type),
    ).where(Camera.id.in_(camera_ids))  # SQLite needs this WHERE before ON CONFLICT
    columns = ["camera_id", "holder", "acquired_at", "renewed_at", "expires_at"]
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    db.execute(
        dialect.insert(CameraLease)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["camera_id"])
    )


def release(*, db: Session, holder: str) -> int:
    """Give up every lease of ``holder`` (a clean shutdown); returns how many."""
    result = db.execute(delete(CameraLease).where(CameraLease.holder == holder))
    return int(getattr(result, "rowcount", 0) or 0)


def holders(*, db: Session) -> dict[int, str]:
    """Who holds each leased camera (operators and tests), expired leases included."""
    rows = db.execute(select(CameraLease.camera_id, CameraLease.holder))
    return {row.camera_id: row.holder for row in rows}
