"""Bad input gets a 4xx problem+json body naming what was wrong, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalfire.core.auth.permissions import Role
from tests.conftest import World, bearer

PROBLEM = "application/problem+json"


@pytest.fixture
def admin_headers(world: World) -> dict[str, str]:
    agency = world.agency()
    admin = world.user("root.admin", agency, [Role.ADMIN], password=None)
    return bearer(world.token(admin))


def assert_problem(response_status: int, body: dict[str, object], status: int) -> None:
    assert response_status == status, body
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)


def test_malformed_json_is_a_400_naming_the_position(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/users",
        content=b'{"username": "x",',
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert response.headers["content-type"] == PROBLEM
    assert_problem(response.status_code, response.json(), 400)
    assert "not valid JSON" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": 5, "display_name": "x"}, "body.username"),
        ({"username": "ok.name", "display_name": "x", "roles": ["wizard"]}, "body.roles[0]"),
        ({"username": "ok.name", "display_name": "x", "colour": "red"}, "body.colour"),
        ({"username": "ok.name", "display_name": "x", "password": "short"}, "body.password"),
        ({"display_name": "x"}, "body.username"),
        ([1, 2, 3], "body"),
    ],
)
def test_invalid_fields_are_named(
    client: TestClient, admin_headers: dict[str, str], body: object, field: str
) -> None:
    response = client.post("/api/users", json=body, headers=admin_headers)
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert_problem(response.status_code, problem, 422)
    assert field in [error["field"] for error in problem["errors"]]
    assert field in problem["detail"]


def test_a_secret_is_never_echoed_back(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = {"username": "ok.name", "display_name": "x", "password": "tiny-secret"}
    response = client.post("/api/users", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert "tiny-secret" not in response.text


def test_wrong_type_in_query_is_a_422(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.get("/api/users/not-a-number", headers=admin_headers)
    assert_problem(response.status_code, response.json(), 422)
    assert response.json()["errors"][0]["field"] == "path.user_id"


def test_declared_oversize_body_is_a_413(client: TestClient) -> None:
    response = client.post(
        "/api/auth/login",
        content=b"x" * 2_000_000,
        headers={"content-type": "application/json"},
    )
    assert response.headers["content-type"] == PROBLEM
    assert_problem(response.status_code, response.json(), 413)


def test_streamed_oversize_body_is_a_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 65536

    response = client.post(
        "/api/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response.status_code, response.json(), 413)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/nothing-here", 404), ("DELETE", "/api/agencies", 405)],
)
def test_unknown_routes_and_methods_are_problems(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.headers["content-type"] == PROBLEM
    assert_problem(response.status_code, response.json(), status)


def test_missing_record_is_a_404_problem(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.get("/api/users/999", headers=admin_headers)
    assert_problem(response.status_code, response.json(), 404)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=json_values)
def test_arbitrary_json_never_causes_a_500(
    client: TestClient, admin_headers: dict[str, str], body: object
) -> None:
    for path in ("/api/users", "/api/agencies", "/api/tokens", "/api/auth/login"):
        response = client.post(path, json=body, headers=admin_headers)
        assert response.status_code < 500, (path, body, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"] == PROBLEM


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_never_cause_a_500(
    client: TestClient, admin_headers: dict[str, str], raw: bytes
) -> None:
    response = client.post(
        "/api/users", content=raw, headers={**admin_headers, "content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/users/9223372036854775808", None),
        ("GET", "/api/audit?before_seq=99999999999999999999", None),
        ("POST", "/api/tokens", {"user_id": 9223372036854775808, "name": "x"}),
    ],
)
def test_numbers_out_of_range_are_4xx(
    client: TestClient, admin_headers: dict[str, str], method: str, path: str, body: object
) -> None:
    response = client.request(method, path, json=body, headers=admin_headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == PROBLEM


def test_unicode_digits_are_not_a_code(client: TestClient) -> None:
    body = {"username": "nobody", "password": "x", "otp": "١٢٣٤٥٦"}
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.otp"


def test_a_clip_upload_may_exceed_the_body_limit(client: TestClient) -> None:
    """Clips for redaction stream to disk, so their route takes up to max_upload_bytes:
    a 2 MB body reaches the route (and its sign-in check) instead of a 413."""
    response = client.post(
        "/api/redactions/clips",
        content=b"x" * 2_000_000,
        headers={"content-type": "application/octet-stream"},
    )
    assert response.status_code == 401
    elsewhere = client.post(
        "/api/redactions/jobs",
        content=b"x" * 2_000_000,
        headers={"content-type": "application/json"},
    )
    assert_problem(elsewhere.status_code, elsewhere.json(), 413)
