"""Liveness, readiness, metrics, docs, request ids."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from signalfire.api.app import create_app
from signalfire.core import migrate
from signalfire.core.auth.permissions import Role
from signalfire.core.runtime import Runtime
from tests.conftest import World, bearer


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_the_schema_revision(client: TestClient, runtime: Runtime) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ready"
    assert body["schema_revision"] == migrate.head_revision()
    assert body["schema_revision"] is not None


def test_readyz_fails_when_the_schema_is_behind(runtime: Runtime) -> None:
    with runtime.engine.begin() as connection:
        real = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        connection.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    try:
        with TestClient(create_app(runtime)) as client:
            response = client.get("/readyz")
    finally:  # the PostgreSQL test database is shared by later tests
        with runtime.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": real})
    assert response.status_code == 503
    assert "signalfire db upgrade" in response.json()["detail"]


def test_metrics_count_requests_by_route_template(client: TestClient, world: World) -> None:
    monitor = world.user("prometheus", world.agency(), [Role.MONITOR], password=None)
    client.get("/api/users/12345")
    body = client.get("/metrics", headers=bearer(world.token(monitor))).text
    assert "signalfire_http_requests_total" in body
    assert 'route="/api/users/{user_id}"' in body
    assert "12345" not in body


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/auth/login" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert first
    assert first != second


def test_successful_probes_stay_out_of_the_info_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="signalfire.access"):
        assert client.get("/readyz").status_code == 200
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/incidents").status_code == 401
    logged = [getattr(record, "path", None) for record in caplog.records]
    assert logged == ["/api/incidents"]
