"""ASGI middleware: body size limit, security headers, request ids, access log and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from signalfire.api.problems import problem

log = logging.getLogger("signalfire.access")

REQUESTS = Counter(
    "signalfire_http_requests_total", "HTTP requests handled.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "signalfire_http_request_seconds", "Time to answer an HTTP request.", ["method", "route"]
)


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413, whether declared or streamed; routes
    that stream their body to disk (``upload_paths``) may take ``max_upload_bytes``."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        *,
        upload_paths: tuple[str, ...] = (),
        max_upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_paths = upload_paths
        self.max_upload_bytes = max(max_bytes, max_upload_bytes)

    def _limit(self, scope: Scope) -> int:
        upload = scope.get("method") == "POST" and scope["path"] in self.upload_paths
        return self.max_upload_bytes if upload else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send, limit)
            return
        state = {"received": 0, "exceeded": False, "started": False}

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["exceeded"] = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if state["exceeded"]:
                return  # the app's reaction to the cut body is replaced by our 413
            state["started"] = True
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if state["exceeded"] and not state["started"]:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(
            413,
            "Request body too large",
            f"the body must not exceed {limit} bytes",
            slug="too-large",
            instance=scope["path"],
        )
        await response(scope, receive, send)


class SecurityHeaders:
    """Headers every response carries: ``nosniff`` everywhere; ``no-store`` on the API
    (caller details, DNA, audit) unless a route chose its own caching; HSTS when set.

    Static console assets keep the default caching of their own mount.
    """

    def __init__(self, app: ASGIApp, *, hsts_max_age_seconds: int = 0) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age_seconds}".encode() if hsts_max_age_seconds > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = _private(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                names = {name.lower() for name, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff")]
                if private:
                    extra.append((b"cache-control", b"no-store"))
                if self.hsts is not None:
                    extra.append((b"strict-transport-security", self.hsts))
                headers.extend(item for item in extra if item[0] not in names)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _private(path: str) -> bool:
    """Whether responses to ``path`` may hold personal or operational data."""
    return path.startswith("/api/") or path in ("/api", "/metrics", "/openapi.json")


class ConcurrencyLimit:
    """Let at most ``limit`` HTTP requests work at once; the rest wait their turn here.

    Waiting in the event loop rather than in worker threads keeps threads free for the
    requests that hold the database, so a burst of clients queues instead of stalling.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._semaphore: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.limit)
        if scope["type"] == "http":
            async with self._semaphore:
                await self.app(scope, receive, send)
            return
        # A WebSocket counts while it signs in and takes its snapshot, not for its life.
        await self._semaphore.acquire()
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self._semaphore.release()  # type: ignore[union-attr]

        async def send_then_release(message: Message) -> None:
            await send(message)
            if message["type"] in ("websocket.close", "websocket.http.response.start") or (
                message["type"] == "websocket.send"
            ):
                release()

        try:
            await self.app(scope, receive, send_then_release)
        finally:
            release()


#: Health checks a load balancer sends several times a second: logged only at DEBUG
#: while they succeed, so they do not drown the requests people make.
PROBES = frozenset({"/healthz", "/readyz"})


class AccessLog:
    """Give each request an id, log it as JSON, and count it for ``/metrics``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            REQUESTS.labels(scope["method"], route, str(status["code"])).inc()
            LATENCY.labels(scope["method"], route).observe(elapsed)
            quiet = scope["path"] in PROBES and status["code"] == 200
            log.log(
                logging.DEBUG if quiet else logging.INFO,
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status["code"],
                    "duration_ms": round(elapsed * 1000, 2),
                    "user": _username(scope),
                },
            )


def _route_template(scope: Scope) -> str:
    """The matched route's path template, so metrics do not explode by id."""
    route: Any = scope.get("route")
    return getattr(route, "path", "unmatched")


def _username(scope: Scope) -> str | None:
    state: Any = scope.get("state", {})
    actor = state.get("actor") if isinstance(state, dict) else None
    return getattr(actor, "username", None)
