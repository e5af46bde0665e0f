"""Who is calling: the token of a request or WebSocket, and the signed-in caller."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, WebSocket
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from signalfire.accounts import sessions
from signalfire.api.session import DbSession, get_runtime
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Forbidden, Unauthorized


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


def required_token(conn: HTTPConnection) -> str:
    """The caller's token, or 401."""
    token = bearer_token(conn)
    if token is None:
        raise Unauthorized("sign in first: POST /api/auth/login, then send the token")
    return token


def authenticate(conn: HTTPConnection, db: Session) -> Actor:
    """The signed-in caller, or 401."""
    token = required_token(conn)
    actor = sessions.authenticate(db=db, settings=get_runtime(conn).settings.auth, token=token)
    conn.state.actor = actor
    return actor


def current_actor(request: Request, db: DbSession) -> Actor:
    """The signed-in caller of an HTTP request, or 401."""
    return authenticate(request, db)


@dataclass(frozen=True, slots=True)
class SignIn:
    """One request of a group to sign in together (see ``permissions.requires_in_batch``)."""

    request: Request
    token: str


def sign_in_all(db: Session, attempts: list[SignIn]) -> list[Actor | Unauthorized]:
    """The callers of a group of requests, each token looked up once."""
    settings = None
    known: dict[str, Actor | Unauthorized] = {}
    outcomes: list[Actor | Unauthorized] = []
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
        if not isinstance(actor, Unauthorized):
            attempt.request.state.actor = actor
        outcomes.append(actor)
    return outcomes


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
