"""What a route requires of its caller: one permission, and for sensitive reads a
stated purpose (and case).

Every route declares exactly one permission with :func:`requires`, or declares itself
:data:`Public`; :func:`undeclared_routes` finds any that did neither, and the app refuses
to start with one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Final

from fastapi import Depends, Header, Request, WebSocket
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from signalfire.api.authentication import (
    SignIn,
    authenticate,
    check_origin,
    current_actor,
    required_token,
    sign_in_all,
)
from signalfire.api.session import audit_denial, get_group_commit, unit_of_work
from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.auth.permissions import Perm
from signalfire.core.errors import Forbidden, Invalid

PUBLIC: Final = "public"
_MARK = "signalfire_permission"


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
class _Checked:
    sign_in: SignIn
    perm: Perm


def _sign_in_and_authorize(db: Session, attempts: list[_Checked]) -> list[Actor | Exception]:
    """The callers of a group of requests, each held to its route's permission; a
    refusal (403) is audited in the group's transaction."""
    outcomes: list[Actor | Exception] = []
    callers = sign_in_all(db, [attempt.sign_in for attempt in attempts])
    for attempt, caller in zip(attempts, callers, strict=True):
        if not isinstance(caller, Actor):
            outcomes.append(caller)
            continue
        try:
            outcomes.append(authorize(caller, attempt.perm))
        except Forbidden as exc:
            audit_denial(db, exc, conn=attempt.sign_in.request)
            outcomes.append(exc)
    return outcomes


@cache
def requires_in_batch(perm: Perm) -> Any:
    """Like :func:`requires`, for routes whose work runs in a :class:`GroupCommit`:
    the callers of the requests that arrive together are checked together there, so a
    request costs no worker thread of its own and a token one lookup per group.
    """

    async def dependency(request: Request) -> Actor:
        attempt = _Checked(SignIn(request, required_token(request)), perm)
        return await get_group_commit(request).run(_sign_in_and_authorize, attempt)

    setattr(dependency, _MARK, perm)
    return Depends(dependency)


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
