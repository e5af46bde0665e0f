"""Every route x every role gets exactly the allow/deny its declared permission says.

The cases come from the app's own route table, so a new route is checked the day it
is added, and one that declares no permission fails here (and refuses to start).
"""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from signalfire.api.app import create_app
from signalfire.api.permissions import (
    PUBLIC,
    api_routes,
    declared_permission,
    requires,
    undeclared_routes,
)
from signalfire.core.audit.models import AuditEntry
from signalfire.core.auth.permissions import ROLE_PERMISSIONS, Perm, Role
from signalfire.core.config import load_settings
from signalfire.core.runtime import Runtime, build_runtime
from tests.conftest import World, bearer


def route_table() -> list[tuple[str, str, Perm | str | None]]:
    app = create_app(build_runtime(load_settings(database={"url": "sqlite://"})))
    return [
        (method, route.path, declared_permission(route))
        for route in api_routes(app.routes)
        for method in sorted(getattr(route, "methods", None) or {"WEBSOCKET"})
    ]


ROUTES = route_table()


def concrete(path: str, agency_id: int, user_id: int) -> str:
    values = {"agency_id": agency_id, "user_id": user_id}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def socket_status(client: TestClient, path: str, headers: dict[str, str]) -> int:
    """101 if the WebSocket opens and sends its first message, else the HTTP-like status
    from the close code (4000 + status)."""
    try:
        with client.websocket_connect(path, headers=headers) as socket:
            socket.receive_json()
            return 101
    except WebSocketDisconnect as closed:
        return closed.code - 4000


def test_every_route_declares_a_permission() -> None:
    assert [path for _m, path, perm in ROUTES if perm is None] == []
    assert len(ROUTES) >= 15


@pytest.mark.parametrize(("method", "path", "perm"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_role_gets_exactly_what_its_permissions_allow(
    runtime: Runtime, world: World, method: str, path: str, perm: Perm | str | None, role: Role
) -> None:
    assert perm is not None, f"{method} {path} declares no permission"
    agency = world.agency()
    user = world.user(f"user.{role.value}", agency, [role], password=None)
    headers = {**bearer(world.token(user)), "X-Signalfire-Purpose": "authorization test"}
    allowed = perm == PUBLIC or perm in ROLE_PERMISSIONS[role]
    with TestClient(create_app(runtime)) as client:
        if method == "WEBSOCKET":
            status = socket_status(client, path, headers)
        else:
            body: dict[str, object] | None = {} if method in {"POST", "PUT", "PATCH"} else None
            response = client.request(
                method, concrete(path, agency.id, user.id), json=body, headers=headers
            )
            status = response.status_code
            if not allowed:
                assert response.headers["content-type"] == "application/problem+json"
    if allowed and method == "WEBSOCKET":
        assert status == 101, f"{role} could not open {path} ({status})"
    elif allowed:
        assert status not in (401, 403), f"{role} was refused {method} {path}"
    else:
        assert status == 403, f"{role} was allowed {method} {path}"
        with runtime.sessions() as db:
            last = db.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert last is not None
        assert (last.action, last.outcome, last.actor_user_id) == (
            "access.denied",
            "denied",
            user.id,
        )


@pytest.mark.parametrize(("method", "path", "perm"), [r for r in ROUTES if r[2] != PUBLIC])
def test_anonymous_callers_get_401_on_every_protected_route(
    client: TestClient, method: str, path: str, perm: Perm | str | None
) -> None:
    if method == "WEBSOCKET":
        assert socket_status(client, path, {}) == 401
        return
    response = client.request(method, concrete(path, 1, 1), json={})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_a_route_without_a_declared_permission_is_reported() -> None:
    router = APIRouter()

    @router.get("/open")
    def forgot() -> None: ...

    @router.get("/closed", dependencies=[requires(Perm.AUDIT_READ)])
    def remembered() -> None: ...

    app = FastAPI()
    app.include_router(router)
    assert undeclared_routes(app.routes) == ["GET /open"]
