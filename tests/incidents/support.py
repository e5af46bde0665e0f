"""Helpers for the incident tests: staff with tokens, call bodies, intake over HTTP."""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from signalfire.accounts.models import Agency
from signalfire.core.audit.models import AuditEntry
from signalfire.core.auth.permissions import Role
from signalfire.core.runtime import Runtime
from tests.conftest import World, bearer

Headers = dict[str, str]
Json = dict[str, Any]

#: Senate Square, Helsinki.
ORIGIN = (60.1695, 24.9525)
METRES_PER_DEGREE_LAT = 111_195.0


class Staff:
    """Request headers of one person per role in an agency, each made on first use."""

    def __init__(self, world: World, agency: Agency) -> None:
        self.world, self.agency = world, agency
        self.agency_id = agency.id

    def _headers(self, role: Role) -> Headers:
        username = f"{self.agency.code.lower()}.{role.value}"
        user = self.world.user(username, self.agency, [role], password=None)
        return bearer(self.world.token(user))

    @cached_property
    def call_taker(self) -> Headers:
        return self._headers(Role.CALL_TAKER)

    @cached_property
    def dispatcher(self) -> Headers:
        return self._headers(Role.DISPATCHER)

    @cached_property
    def supervisor(self) -> Headers:
        return self._headers(Role.SUPERVISOR)

    @cached_property
    def analyst(self) -> Headers:
        return self._headers(Role.ANALYST)

    @cached_property
    def admin(self) -> Headers:
        return self._headers(Role.ADMIN)


def staff(world: World, agency: Agency) -> Staff:
    """The people of ``agency``; each role's user and token is made when first needed."""
    return Staff(world, agency)


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """The point ``metres`` due north of ``point``."""
    return point[0] + metres / METRES_PER_DEGREE_LAT, point[1]


def east_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """The point ``metres`` due east of ``point``."""
    scale = METRES_PER_DEGREE_LAT * math.cos(math.radians(point[0]))
    return point[0], point[1] + metres / scale


def call(
    nature: str = "FIRE-STRUCTURE",
    at: tuple[float, float] = ORIGIN,
    *,
    source: str = "manual",
    caller_number: str | None = None,
    **extra: Any,
) -> Json:
    """A POST /api/incidents body for a call about ``nature`` at ``at``."""
    body: Json = {
        "nature_code": nature,
        "location": {"lat": at[0], "lon": at[1], "source": source},
        **extra,
    }
    if caller_number is not None:
        body["caller"] = {"name": "Caller", "number": caller_number}
    return body


def intake(client: TestClient, headers: Headers, body: Json) -> Json:
    """POST the call; returns ``{"incident": ..., "duplicates": [...]}``."""
    response = client.post("/api/incidents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


def open_incident(client: TestClient, headers: Headers, body: Json | None = None) -> Json:
    """Intake a call and return just the incident."""
    incident: Json = intake(client, headers, body or call())["incident"]
    return incident


def get_json(client: TestClient, path: str, headers: Headers, **params: Any) -> Any:
    """GET ``path``, asserting 200."""
    response = client.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def error_fields(response: Any) -> set[str]:
    """The fields a 422 problem body names (domain ``field`` or validation ``errors``)."""
    body = response.json()
    fields = {e["field"] for e in body.get("errors", [])}
    if "field" in body:
        fields.add(body["field"])
    return fields


def audit_entries(runtime: Runtime, action: str) -> list[AuditEntry]:
    """Audit entries of ``action``, oldest first, read in a fresh session."""
    with runtime.sessions() as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        entries = list(session.scalars(query))
        session.expunge_all()
        return entries


def create_unit(
    client: TestClient, headers: Headers, callsign: str, *, shared_with: list[int] | None = None
) -> int:
    """Register an engine (POST /api/units); returns its id."""
    body: Json = {"callsign": callsign, "unit_type": "engine", "shared_with": shared_with or []}
    response = client.post("/api/units", json=body, headers=headers)
    assert response.status_code == 201, response.text
    unit_id: int = response.json()["id"]
    return unit_id


def dispatch(client: TestClient, headers: Headers, incident_id: int, *unit_ids: int) -> None:
    """Send units to the incident (POST /api/incidents/{id}/units)."""
    response = client.post(
        f"/api/incidents/{incident_id}/units", json={"unit_ids": list(unit_ids)}, headers=headers
    )
    assert response.status_code == 201, response.text
