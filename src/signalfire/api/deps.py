"""Request dependencies: the database session, the caller, permissions, justification.

Every route declares exactly one permission with :func:`requires`, or declares itself
:data:`PUBLIC`; :func:`undeclared_routes` finds any that did neither, and the app refuses
to start with one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Final

import anyio
from fastapi import Depends, Header, Request, WebSocket
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute

from signalfire.accounts import sessions
from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.auth.permissions import Perm
from signalfire.core.errors import DomainError, Forbidden, Invalid, Unauthorized
from signalfire.core.events import AccessDenied, emit
from signalfire.core.group_commit import GroupCommit
from signalfire.core.runtime import Runtime

PUBLIC: Final = "public"
_MARK = "signalfire_permission"


def get_runtime(conn: HTTPConnection) -> Runtime:
    """The install this app serves."""
    runtime: Runtime = conn.app.state.runtime
    return runtime


def _end(db: Session, conn: HTTPConnection, exc: BaseException | None) -> None:
    """Finish a unit of work: commit on success, roll back on error.

    A denial (403) is audited in its own transaction after the rollback; errors that
    say so (a refused login's failure count) keep their side effects.
    """
    try:
        if exc is None or (isinstance(exc, DomainError) and exc.keep_side_effects):
            db.commit()
            return
        db.rollback()
        if isinstance(exc, Forbidden):
            _audit_denial(db, conn, exc)
            db.commit()
    finally:
        db.close()


@contextmanager
def unit_of_work(conn: HTTPConnection) -> Iterator[Session]:
    """One transaction, ended by :func:`_end`."""
    db = get_runtime(conn).sessions()
    try:
        yield db
    except BaseException as exc:
        _end(db, conn, exc)
        raise
    _end(db, conn, None)


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
            await run_in_threadpool(_end, db, request, outcome)


def _audit_denial(db: Session, conn: HTTPConnection, exc: Forbidden) -> None:
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


DbSession = Annotated[Session, Depends(get_db, scope="function")]


def bearer_token(conn: HTTPConnection) -> str | None:
    """The token from ``Authorization: Bearer``, the session cookie or (for WebSocket
    clients, which cannot set headers in browsers) the ``token`` query parameter."""
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = conn.cookies.get(get_runtime(conn).settings.auth.cookie_name)
    if cookie:
        return cookie
    return conn.query_params.get("token") if conn.scope["type"] == "websocket" else None


def get_group_commit(conn: HTTPConnection) -> GroupCommit:
    """The app's writer that commits small units of work in groups."""
    writer: GroupCommit = conn.app.state.group_commit
    return writer


def _required_token(conn: HTTPConnection) -> str:
    token = bearer_token(conn)
    if token is None:
        raise Unauthorized("sign in first: POST /api/auth/login, then send the token")
    return token


def authenticate(conn: HTTPConnection, db: Session) -> Actor:
    """The signed-in caller, or 401."""
    token = _required_token(conn)
    actor = sessions.authenticate(db=db, settings=get_runtime(conn).settings.auth, token=token)
    conn.state.actor = actor
    return actor


def current_actor(request: Request, db: DbSession) -> Actor:
    """The signed-in caller of an HTTP request, or 401."""
    return authenticate(request, db)


def authorize(actor: Actor, perm: Perm) -> Actor:
    """``actor`` if it holds ``perm``; otherwise a 403 (audited by the unit of work)."""
    if not actor.can(perm):
        reason = (
            "enrol a second factor first: POST /api/auth/totp"
            if actor.enrollment_only
            else f"your roles do not grant {perm.value!r}"
        )
        raise Forbidden(reason, permission=perm.value)
    return actor


@cache
def requires(perm: Perm) -> Any:
    """``Depends`` marker: the caller must hold ``perm`` (403 otherwise, audited)."""

    async def dependency(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        return authorize(actor, perm)

    setattr(dependency, _MARK, perm)
    return Depends(dependency)


@dataclass(frozen=True, slots=True)
class _SignIn:
    request: Request
    token: str
    perm: Perm


def _sign_in_all(db: Session, attempts: list[_SignIn]) -> list[Actor | Exception]:
    """The callers of a group of requests, each token looked up once; a refusal (403)
    is audited in the group's transaction."""
    settings = None
    known: dict[str, Actor | Unauthorized] = {}
    outcomes: list[Actor | Exception] = []
    for attempt in attempts:
        if attempt.token not in known:
            settings = settings or get_runtime(attempt.request).settings.auth
            try:
                known[attempt.token] = sessions.authenticate(
                    db=db, settings=settings, token=attempt.token
                )
            except Unauthorized as exc:
                known[attempt.token] = exc
        actor = known[attempt.token]
        if isinstance(actor, Unauthorized):
            outcomes.append(actor)
            continue
        attempt.request.state.actor = actor
        try:
            outcomes.append(authorize(actor, attempt.perm))
        except Forbidden as exc:
            _audit_denial(db, attempt.request, exc)
            outcomes.append(exc)
    return outcomes


@cache
def requires_in_batch(perm: Perm) -> Any:
    """Like :func:`requires`, for routes whose work runs in a :class:`GroupCommit`:
    the callers of the requests that arrive together are checked together there, so a
    request costs no worker thread of its own and a token one lookup per group.
    """

    async def dependency(request: Request) -> Actor:
        attempt = _SignIn(request, _required_token(request), perm)
        return await get_group_commit(request).run(_sign_in_all, attempt)

    setattr(dependency, _MARK, perm)
    return Depends(dependency)


def check_origin(websocket: WebSocket) -> None:
    """Refuse a WebSocket opened by a page of another site (cross-site WebSocket
    hijacking: the browser would send the user's cookie with it). Allowed: no
    ``Origin`` (not a browser), this server's own host, or ``api.allowed_origins``."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return
    allowed = get_runtime(websocket).settings.api.allowed_origins
    own_host = websocket.headers.get("host", "").lower()
    if origin.rstrip("/").lower() in {o.rstrip("/").lower() for o in allowed}:
        return
    _scheme, sep, host = origin.lower().partition("://")
    if sep and own_host and host.rstrip("/") == own_host:
        return
    raise Forbidden(
        f"origin {origin[:100]!r} may not open this WebSocket: only pages of this "
        "server (or of api.allowed_origins) may"
    )


@cache
def requires_on_socket(perm: Perm) -> Any:
    """Like :func:`requires`, for WebSocket routes: checks the page's origin, then
    authenticates in a short transaction of its own, since the connection outlives
    any request."""

    def dependency(websocket: WebSocket) -> Actor:
        check_origin(websocket)
        with unit_of_work(websocket) as db:
            return authorize(authenticate(websocket, db), perm)

    setattr(dependency, _MARK, perm)
    return Depends(dependency)


async def _public() -> None:
    """Marks a route that anyone may call."""


setattr(_public, _MARK, PUBLIC)
Public = Depends(_public)


def declared_permission(route: APIRoute | APIWebSocketRoute) -> Perm | str | None:
    """The permission ``route`` declared (``PUBLIC`` for open routes), if any."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        mark = getattr(dependant.call, _MARK, None)
        if mark is not None:
            return mark  # type: ignore[no-any-return]
        pending.extend(dependant.dependencies)
    return None


def api_routes(routes: Sequence[BaseRoute]) -> list[APIRoute | APIWebSocketRoute]:
    """Every API and WebSocket route, including those of included routers."""
    found = (context.original_route for context in iter_route_contexts(routes))
    return [route for route in found if isinstance(route, APIRoute | APIWebSocketRoute)]


def undeclared_routes(routes: Sequence[BaseRoute]) -> list[str]:
    """``METHOD path`` of every API route that declared no permission."""
    return [
        f"{','.join(sorted(getattr(route, 'methods', None) or {'WEBSOCKET'}))} {route.path}"
        for route in api_routes(routes)
        if declared_permission(route) is None
    ]


def justification(
    purpose: Annotated[
        str | None,
        Header(alias="X-Signalfire-Purpose", description="Why you need this data."),
    ] = None,
    case_number: Annotated[
        str | None,
        Header(alias="X-Signalfire-Case", description="The case or incident it serves."),
    ] = None,
) -> Justification:
    """The stated purpose (required) and case number (optional) of a sensitive read."""
    if not purpose or not purpose.strip():
        raise Invalid(
            "reading this data requires a stated purpose in the X-Signalfire-Purpose header",
            field="X-Signalfire-Purpose",
        )
    case = case_number.strip()[:100] if case_number else None
    return Justification(purpose=purpose.strip()[:500], case_number=case or None)


Justified = Annotated[Justification, Depends(justification)]


def case_justification(why: Justified) -> Justification:
    """A justification whose case number is required too (DNA data)."""
    if why.case_number is None:
        raise Invalid(
            "this data is used only for a case: give its number in the X-Signalfire-Case "
            "header (and the purpose in X-Signalfire-Purpose)",
            field="X-Signalfire-Case",
        )
    return why


CaseJustified = Annotated[Justification, Depends(case_justification)]
