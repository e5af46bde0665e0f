"""Input times outside what a database and a clock can hold are refused at validation.

``9999-12-31T23:59:59-14:00`` is a valid ISO 8601 time whose UTC value is past year 9999;
converting it to UTC overflowed below the API and came back as a 500.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from signalfire.core.auth.permissions import Role
from tests.conftest import World, bearer

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
