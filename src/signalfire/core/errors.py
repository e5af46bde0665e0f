"""Domain exceptions. The API turns each into one RFC 9457 problem body.

Services raise these; nothing below the routers raises ``HTTPException``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error a user can cause; carries an HTTP status for the API."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    type_slug: ClassVar[str] = "bad-request"
    #: Commit the request's writes even though it fails (a refused login's counter).
    keep_side_effects: ClassVar[bool] = False

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class Invalid(DomainError):
    """Input that is well-formed but not acceptable."""

    status = 422
    title = "Invalid input"
    type_slug = "invalid"


class NotFound(DomainError):
    """The record does not exist, or the caller may not know that it does."""

    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, an illegal transition)."""

    status = 409
    title = "Conflict"
    type_slug = "conflict"


class Unauthorized(DomainError):
    """No valid credentials: not logged in, bad password, expired session."""

    status = 401
    title = "Authentication required"
    type_slug = "unauthorized"


class Forbidden(DomainError):
    """Authenticated, but not allowed to do this."""

    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class Unavailable(DomainError):
    """A resource is busy or down for a moment; the client should retry."""

    status = 503
    title = "Service unavailable"
    type_slug = "unavailable"
