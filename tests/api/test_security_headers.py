"""Secrets and headers (issue 26, finding 5): cross-site WebSockets are refused, the
session cookie is Secure by default, HSTS on request, nosniff and no-store on the API,
offline API docs under a CSP, a console CSP without foreign sockets, /metrics signed in."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from signalfire.accounts.models import Agency, User
from signalfire.api import console
from signalfire.api.app import create_app
from signalfire.core.auth.permissions import Role
from signalfire.core.config import load_settings
from signalfire.core.runtime import Runtime, build_runtime
from tests.conftest import PASSWORD, World, bearer


@pytest.fixture
def agency(world: World) -> Agency:
    return world.agency()


@pytest.fixture
def dispatcher(world: World, agency: Agency) -> User:
    return world.user("a.virtanen", agency, [Role.DISPATCHER])


def _runtime_with(runtime: Runtime, tmp_path: Path, **api: object) -> Runtime:
    settings = runtime.settings
    return build_runtime(
        load_settings(
            database={"url": settings.database.url},
            data_dir=tmp_path,
            geo={"cache_dir": settings.geo.cache_dir, "preload": False},
            api=api,
        )
    )


def _socket_opens(client: TestClient, headers: dict[str, str]) -> int:
    try:
        with client.websocket_connect("/api/live", headers=headers) as socket:
            socket.receive_json()
            return 101
    except WebSocketDisconnect as closed:
        return closed.code - 4000


# --- 2. live WebSocket origin ------------------------------------------------------


def test_a_page_of_another_site_cannot_open_the_live_socket(
    client: TestClient, world: World, dispatcher: User
) -> None:
    token = world.token(dispatcher)
    assert _socket_opens(client, {**bearer(token), "Origin": "https://evil.example"}) == 403
    assert _socket_opens(client, {**bearer(token), "Origin": "null"}) == 403


def test_the_servers_own_pages_and_non_browsers_may(
    client: TestClient, world: World, dispatcher: User
) -> None:
    token = world.token(dispatcher)
    assert _socket_opens(client, {**bearer(token), "Origin": "http://testserver"}) == 101
    assert _socket_opens(client, bearer(token)) == 101  # no Origin: not a browser


def test_a_configured_origin_may(
    runtime: Runtime, tmp_path: Path, world: World, dispatcher: User
) -> None:
    token = world.token(dispatcher)
    configured = _runtime_with(runtime, tmp_path, allowed_origins=["https://wall.example"])
    with TestClient(create_app(configured)) as client:
        assert _socket_opens(client, {**bearer(token), "Origin": "https://wall.example"}) == 101
        assert _socket_opens(client, {**bearer(token), "Origin": "https://evil.example"}) == 403


# --- 3. Secure cookie, HSTS ----------------------------------------------------------


def _sign_in(client: TestClient) -> str:
    response = client.post("/api/auth/login", json={"username": "a.virtanen", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.headers["set-cookie"].lower()


def test_the_session_cookie_is_secure_by_default(client: TestClient, dispatcher: User) -> None:
    cookie = _sign_in(client)
    assert "; secure" in cookie
    assert "httponly" in cookie
    logout = client.post("/api/auth/logout", headers=bearer(_token_of(client)))
    assert "; secure" in logout.headers["set-cookie"].lower()


def _token_of(client: TestClient) -> str:
    response = client.post("/api/auth/login", json={"username": "a.virtanen", "password": PASSWORD})
    token: str = response.json()["token"]
    return token


def test_a_plain_http_install_can_turn_secure_off(
    runtime: Runtime, tmp_path: Path, dispatcher: User
) -> None:
    settings = runtime.settings
    plain = build_runtime(
        load_settings(
            database={"url": settings.database.url},
            data_dir=tmp_path,
            geo={"cache_dir": settings.geo.cache_dir, "preload": False},
            auth={"cookie_secure": False},
        )
    )
    with TestClient(create_app(plain)) as client:
        assert "; secure" not in _sign_in(client)


def test_hsts_is_off_by_default_and_sent_when_set(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    assert "strict-transport-security" not in client.get("/healthz").headers
    with TestClient(create_app(_runtime_with(runtime, tmp_path, hsts_max_age_seconds=600))) as c:
        assert c.get("/healthz").headers["strict-transport-security"] == "max-age=600"
        assert c.get("/api/auth/session").headers["strict-transport-security"] == "max-age=600"


# --- 4. nosniff and no-store ---------------------------------------------------------


def test_api_responses_are_neither_sniffed_nor_stored(
    client: TestClient, world: World, dispatcher: User
) -> None:
    token = world.token(dispatcher)
    for response in (
        client.get("/api/incidents", headers=bearer(token)),
        client.get("/api/auth/me", headers=bearer(token)),
        client.get("/api/incidents/999999", headers=bearer(token)),  # a problem body
        client.get("/api/auth/me"),  # 401
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert response.headers["cache-control"] == "no-store", response.url
    health = client.get("/healthz")
    assert health.headers["x-content-type-options"] == "nosniff"


# --- 5. offline docs with a CSP ------------------------------------------------------


def test_the_docs_load_only_this_servers_files_under_a_policy(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert "https://" not in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy
    assert "frame-ancestors 'none'" in policy
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"{console.DOCS_ASSETS_URL}/{asset}" in page.text
        fetched = client.get(f"{console.DOCS_ASSETS_URL}/{asset}")
        assert fetched.status_code == 200
        assert len(fetched.content) > 100_000
        assert fetched.headers["x-content-type-options"] == "nosniff"


# --- 6. console policy ---------------------------------------------------------------


def test_the_console_may_open_sockets_to_this_server_only() -> None:
    policy = console.policy(None)
    connect = next(d for d in policy.split("; ") if d.startswith("connect-src"))
    assert connect == "connect-src 'self'"


# --- 7. metrics ------------------------------------------------------------------------


@pytest.fixture
def signed_in(world: World, agency: Agency, dispatcher: User) -> dict[str, dict[str, str]]:
    monitor = world.user("prometheus", agency, [Role.MONITOR], password=None)
    admin = world.user("root", agency, [Role.ADMIN])
    return {
        "monitor": bearer(world.token(monitor)),
        "admin": bearer(world.token(admin)),
        "dispatcher": bearer(world.token(dispatcher)),
    }


def test_metrics_need_the_metrics_permission(
    client: TestClient, signed_in: dict[str, dict[str, str]]
) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=signed_in["dispatcher"]).status_code == 403
    for who in ("monitor", "admin"):
        response = client.get("/metrics", headers=signed_in[who])
        assert response.status_code == 200, who
        assert "signalfire_http_requests_total" in response.text
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
