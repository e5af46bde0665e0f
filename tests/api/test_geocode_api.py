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


def test_the_road_map_lists_each_segment_once(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    agency = world.agency()
    headers = bearer(world.token(world.user("c.taker", agency, [Role.CALL_TAKER], password=None)))
    segments = client.get("/api/roads", headers=headers).json()["segments"]
    graph = runtime.roads.graph
    pairs = {
        (min(a, b), max(a, b)) for a, b in zip(graph.u.tolist(), graph.v.tolist(), strict=True)
    }
    assert len(segments) == len(pairs)
    assert len({tuple(s) for s in segments}) == len(segments)
    lat, lon = segments[0][0], segments[0][3]
    assert 60.0 < lat < 60.3
    assert 24.8 < lon < 25.1
