"""Input times outside what a database and a clock can hold are refused at validation.

``9999-12-31T23:59:59-14:00`` is a valid ISO 8601 time whose UTC value is past year 9999;
converting it to UTC overflowed below the API and came back as a 500.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from signalfire.core.auth.permissions import Role
from tests.conftest import World, bearer
from tests.incidents.support import call, staff

WHY = {"X-Signalfire-Purpose": "quarterly access review", "X-Signalfire-Case": "AUD-2026-4"}
PROBLEM = "application/problem+json"

#: Valid datetimes whose UTC value overflows, and ones merely outside the sane range.
OUT_OF_RANGE = [
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "1969-12-31T23:59:59Z",
    "2200-01-01T00:00:01Z",
]


@pytest.fixture
def auditor(world: World) -> dict[str, str]:
    fire = world.agency("FIRE")
    user = world.user("fire.auditor", fire, [Role.AUDITOR], password=None)
    return {**bearer(world.token(user)), **WHY}


@pytest.mark.parametrize("param", ["since", "until"])
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_audit_search_refuses_times_out_of_range(
    client: TestClient, auditor: dict[str, str], param: str, value: str
) -> None:
    response = client.get("/api/audit", params={param: value}, headers=auditor)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert [e["field"] for e in body["errors"]] == [f"query.{param}"]
    assert "1970-01-01 and 2200-01-01" in body["detail"]


def test_audit_search_takes_times_in_range(client: TestClient, auditor: dict[str, str]) -> None:
    params = {"since": "1970-01-01T00:00:00Z", "until": "2199-12-31T23:59:59+14:00"}
    response = client.get("/api/audit", params=params, headers=auditor)
    assert response.status_code == 200, response.text


# Intake: times, coordinates and text a call taker's terminal or a telephony bridge could
# send wrong (issue 26, findings 4 and 6). Each is a 422 and stores nothing.


@pytest.fixture
def dispatcher(world: World) -> dict[str, str]:
    return staff(world, world.agency("FIRE")).dispatcher


def refused(client: TestClient, headers: dict[str, str], body: dict[str, object]) -> str:
    """POST the call; assert a 422 problem that stored nothing; return its detail."""
    before = client.get("/api/incidents", headers=headers).json()
    response = client.post("/api/incidents", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert client.get("/api/incidents", headers=headers).json() == before
    detail: str = response.json()["detail"]
    return detail


@pytest.mark.parametrize("field", ["call_received_at", "call_answered_at"])
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_intake_refuses_call_times_out_of_range(
    client: TestClient, dispatcher: dict[str, str], field: str, value: str
) -> None:
    detail = refused(client, dispatcher, {**call(), field: value})
    assert "1970-01-01 and 2200-01-01" in detail


def test_intake_refuses_a_call_answered_before_it_arrived(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    body = call(call_received_at="2026-12-07T10:00:00Z", call_answered_at="2026-12-07T09:00:00Z")
    detail = refused(client, dispatcher, body)
    assert "call_answered_at" in detail
    assert "before call_received_at" in detail


def test_intake_takes_a_call_answered_after_it_arrived(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    body = call(
        call_received_at="2026-12-07T10:00:00Z", call_answered_at="2026-12-07T10:00:04+00:00"
    )
    assert client.post("/api/incidents", json=body, headers=dispatcher).status_code == 201


@pytest.mark.parametrize("field", ["lat", "lon"])
@pytest.mark.parametrize("value", [True, False, "60.1"])
def test_intake_refuses_coordinates_that_are_not_numbers(
    client: TestClient, dispatcher: dict[str, str], field: str, value: object
) -> None:
    body = call()
    body["location"][field] = value
    response = client.post("/api/incidents", json=body, headers=dispatcher)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [f"body.location.{field}"]


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("summary", "smoke\x00 seen"),
        ("address", "Mannerheimintie\x00 1"),
        ("caller", "Caller\x07"),
        ("modifiers", "persons\x1btrapped"),
    ],
)
def test_intake_refuses_control_characters(
    client: TestClient, dispatcher: dict[str, str], where: str, value: str
) -> None:
    body = call()
    if where == "address":
        body["location"]["address"] = value
    elif where == "caller":
        body["caller"] = {"name": value, "number": "+358401234567"}
    elif where == "modifiers":
        body["modifiers"] = [value]
    else:
        body[where] = value
    detail = refused(client, dispatcher, body)
    assert "control character" in detail


def test_intake_keeps_tabs_and_new_lines(client: TestClient, dispatcher: dict[str, str]) -> None:
    body = call(summary="smoke from the roof\n\tsecond floor")
    created = client.post("/api/incidents", json=body, headers=dispatcher)
    assert created.status_code == 201, created.text
    assert created.json()["incident"]["summary"] == "smoke from the roof\n\tsecond floor"
