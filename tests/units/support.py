"""Arranging agencies, people, stations, units and incidents over the real API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from signalfire.accounts.models import Agency
from signalfire.core.auth.permissions import Role
from tests.conftest import World, bearer

Headers = dict[str, str]
Json = dict[str, Any]


@dataclass(frozen=True)
class Crew:
    """One agency with a supervisor, a dispatcher and a vehicle terminal (API tokens)."""

    agency: Agency
    supervisor: Headers
    dispatcher: Headers
    terminal: Headers

    @property
    def agency_id(self) -> int:
        return self.agency.id

    @property
    def code(self) -> str:
        return self.agency.code


def crew(world: World, code: str, kind: str = "fire") -> Crew:
    """An agency ``code`` and the bearer headers of its people."""
    agency = world.agency(code, kind=kind)
    prefix = code.lower()

    def person(role: Role) -> Headers:
        user = world.user(f"{prefix}.{role.value}", agency, [role], password=None)
        return bearer(world.token(user))

    return Crew(
        agency=agency,
        supervisor=person(Role.SUPERVISOR),
        dispatcher=person(Role.DISPATCHER),
        terminal=person(Role.UNIT_TERMINAL),
    )


def ok(response: Any, status: int = 200) -> Any:
    """The JSON body of ``response``, which must have ``status``."""
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def station(
    client: TestClient, headers: Headers, code: str = "ST1", lat: float = 60.17, lon: float = 24.94
) -> Json:
    body = {"code": code, "name": f"Station {code}", "lat": lat, "lon": lon}
    result: Json = ok(client.post("/api/stations", json=body, headers=headers), 201)
    return result


def unit(
    client: TestClient,
    headers: Headers,
    callsign: str,
    *,
    unit_type: str = "engine",
    station_id: int | None = None,
    shared_with: list[int] | None = None,
) -> Json:
    body: Json = {"callsign": callsign, "unit_type": unit_type, "shared_with": shared_with or []}
    if station_id is not None:
        body["home_station_id"] = station_id
    result: Json = ok(client.post("/api/units", json=body, headers=headers), 201)
    return result


def incident(
    client: TestClient,
    headers: Headers,
    nature: str = "FIRE-STRUCTURE",
    *,
    modifiers: list[str] | None = None,
    lat: float = 60.17,
    lon: float = 24.94,
) -> Json:
    body: Json = {
        "nature_code": nature,
        "modifiers": modifiers or [],
        "location": {"lat": lat, "lon": lon},
    }
    result: Json = ok(client.post("/api/incidents", json=body, headers=headers), 201)["incident"]
    return result


def set_status(client: TestClient, headers: Headers, unit_id: int, status: str) -> Any:
    """POST a status for a unit; returns the raw response."""
    return client.post(f"/api/units/{unit_id}/status", json={"status": status}, headers=headers)


def assign(client: TestClient, headers: Headers, incident_id: int, *unit_ids: int) -> Any:
    """Dispatch units to an incident; returns the raw response."""
    return client.post(
        f"/api/incidents/{incident_id}/units", json={"unit_ids": list(unit_ids)}, headers=headers
    )
