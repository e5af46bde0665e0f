"""The request's unit of work: the install it serves and one database transaction.

The transaction follows :func:`signalfire.core.db.transaction`'s rules (commit on
success, roll back on error); a denial (403) is audited after the rollback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from signalfire.core.auth.actor import Actor
from signalfire.core.db import end, transaction
from signalfire.core.errors import Forbidden
from signalfire.core.events import AccessDenied, emit
from signalfire.core.group_commit import GroupCommit
from signalfire.core.runtime import Runtime


def get_runtime(conn: HTTPConnection) -> Runtime:
    """The install this app serves."""
    runtime: Runtime = conn.app.state.runtime
    return runtime


def get_group_commit(conn: HTTPConnection) -> GroupCommit:
    """The app's writer that commits small units of work in groups."""
    writer: GroupCommit = conn.app.state.group_commit
    return writer


def audit_denial(db: Session, exc: Forbidden, *, conn: HTTPConnection) -> None:
    """Record that the caller of ``conn`` was refused (``exc``)."""
    actor: Actor | None = getattr(conn.state, "actor", None)
    emit(
        db,
        AccessDenied(
            actor=actor.ref() if actor else None,
            agency_id=actor.agency_id if actor else None,
            outcome="denied",
            permission=exc.extra.get("permission"),
            method=conn.scope.get("method", "WEBSOCKET"),
            path=conn.url.path,
            reason=exc.detail,
        ),
    )


@contextmanager
def unit_of_work(conn: HTTPConnection) -> Iterator[Session]:
    """One transaction for work outside a request's own (a WebSocket's sign-in)."""
    with transaction(get_runtime(conn).sessions, on_denied=partial(audit_denial, conn=conn)) as db:
        yield db


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work. Opening it costs nothing; ending it runs in a worker
    thread, shielded so that a client hanging up cannot leave a transaction open."""
    db = get_runtime(request).sessions()
    outcome: BaseException | None = None
    try:
        yield db
    except BaseException as exc:
        outcome = exc
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(end, db, outcome, on_denied=partial(audit_denial, conn=request))


DbSession = Annotated[Session, Depends(get_db, scope="function")]
