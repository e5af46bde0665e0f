"""RFC 9457 problem details: the one error body of the API."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, InternalError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from signalfire.core.errors import DomainError
from signalfire.core.schemas import field_path

log = logging.getLogger("signalfire.api")

PROBLEM_TYPE = "application/problem+json"
_HTTP_TITLES = {404: "Not found", 405: "Method not allowed", 401: "Authentication required"}


def unavailable(exc: DBAPIError) -> str | None:
    """Why the database cannot take the request now, in words, when that is the trouble
    (busy, unreachable, a standby that only reads: the client may try again and a
    load balancer may send it elsewhere); ``None`` for any other database error."""
    text = str(exc.orig)
    if "locked" in text or "busy" in text:  # SQLite
        return "the database is busy; try again"
    if isinstance(exc.orig, psycopg.errors.ReadOnlySqlTransaction):
        return "the database only reads now (a standby, or a failover under way); try again"
    if exc.connection_invalidated or isinstance(exc.orig, psycopg.OperationalError):
        return "the database cannot be reached; try again"
    return None


def problem(
    status: int, title: str, detail: str, *, slug: str, instance: str, **extra: Any
) -> JSONResponse:
    """A problem+json response."""
    body = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def validation_errors(raw: list[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors as ``{field, message, type}``, never echoing secret input."""
    return [
        {"field": field_path(error["loc"]), "message": error["msg"], "type": error["type"]}
        for error in raw
    ]


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem body."""

    @app.exception_handler(DomainError)
    async def on_domain_error(request: Request, exc: DomainError) -> JSONResponse | None:
        if isinstance(request, WebSocket):  # refused before accept: close with 4000+status
            await request.close(code=4000 + exc.status, reason=exc.detail[:120])
            return None
        response = problem(
            exc.status,
            exc.title,
            exc.detail,
            slug=exc.type_slug,
            instance=request.url.path,
            **exc.extra,
        )
        response.headers.update(getattr(exc, "headers", {}))  # e.g. a 429's Retry-After
        return response

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(list(exc.errors()))
        if any(error["type"] == "json_invalid" for error in errors):
            where = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
            return problem(
                400,
                "Malformed JSON",
                f"the request body is not valid JSON ({where})",
                slug="malformed-json",
                instance=request.url.path,
                errors=errors,
            )
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(
            422, "Invalid input", detail, slug="invalid", instance=request.url.path, errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = _HTTP_TITLES.get(exc.status_code, "HTTP error")
        return problem(
            exc.status_code,
            title,
            str(exc.detail),
            slug=f"http-{exc.status_code}",
            instance=request.url.path,
        )

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def on_out_of_range(request: Request, _exc: Exception) -> JSONResponse:
        return problem(
            422,
            "Invalid input",
            "a number or date in the request is out of range",
            slug="out-of-range",
            instance=request.url.path,
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InternalError)
    async def on_database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        why = unavailable(exc)
        if why is None:
            log.error("database error", extra={"path": request.url.path}, exc_info=exc)
            return problem(
                500,
                "Internal error",
                "a database error occurred; it has been logged",
                slug="internal",
                instance=request.url.path,
            )
        log.warning("database unavailable: %s", why, extra={"path": request.url.path})
        response = problem(
            503, "Service unavailable", why, slug="unavailable", instance=request.url.path
        )
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", extra={"path": request.url.path}, exc_info=exc)
        return problem(
            500,
            "Internal error",
            "an unexpected error occurred; it has been logged",
            slug="internal",
            instance=request.url.path,
        )
