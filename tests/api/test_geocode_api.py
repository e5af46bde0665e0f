"""Geocoding over HTTP: forward and reverse, on the Helsinki extract."""

from __future__ import annotations

from fastapi.testclient import TestClient

from signalfire.core.auth.permissions import Role
from signalfire.core.runtime import Runtime
from tests.conftest import World, bearer


def test_search_and_reverse(client: TestClient, runtime: Runtime, world: World) -> None:
    agency = world.agency()
    headers = bearer(world.token(world.user("c.taker", agency, [Role.CALL_TAKER], password=None)))
    known = next(a for a in runtime.roads.geocoder().addresses if a.housenumber)
    text = f"{known.street} {known.housenumber}"
    found = client.get("/api/geocode", params={"q": text}, headers=headers)
    assert found.status_code == 200, found.text
    best = found.json()[0]
    assert (best["street"], best["housenumber"], best["kind"]) == (
        known.street,
        known.housenumber,
        "address",
    )
    back = client.get(
        "/api/geocode/reverse", params={"lat": best["lat"], "lon": best["lon"]}, headers=headers
    ).json()
    assert back["label"] == best["label"]
    nowhere = client.get("/api/geocode/reverse", params={"lat": 0, "lon": 0}, headers=headers)
    assert nowhere.json() is None
