"""The geocoder: on a tiny hand-built town, then on the real Helsinki extract."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from signalfire.geo.distance import EARTH_RADIUS_M, haversine_m
from signalfire.geo.geocode import (
    AddressRecord,
    Geocoder,
    Place,
    housenumber_key,
    read_addresses,
    read_street_aliases,
    split_query,
    street_key,
)
from signalfire.geo.roads import RoadGraph, helsinki_extract, read_osm

# --- a tiny town --------------------------------------------------------------------------
#
#            3 (Toinen tie)
#            |
#   0 ------ 1 ------ 2      Testikatu runs 0-1-2; Toinen tie runs 3-1-4.
#            |
#            4               Kolmas kuja has addresses but no road, 400 m east.

LAT = [60.1700, 60.1700, 60.1700, 60.1710, 60.1690]
LON = [24.9300, 24.9320, 24.9340, 24.9320, 24.9320]


def tiny_roads() -> RoadGraph:
    pairs = [(0, 1, "Testikatu"), (1, 2, "Testikatu"), (3, 1, "Toinen tie"), (1, 4, "Toinen tie")]
    u, v, names = [], [], []
    for a, b, name in pairs:
        u += [a, b]
        v += [b, a]
        names += [name, name]
    lat, lon = np.array(LAT), np.array(LON)
    length = [haversine_m(lat[a], lon[a], lat[b], lon[b]) for a, b in zip(u, v, strict=True)]
    return RoadGraph(
        np.arange(5, dtype=np.int64),
        lat,
        lon,
        np.array(u, dtype=np.int64),
        np.array(v, dtype=np.int64),
        np.array(length),
        np.full(len(u), 30.0),
        names,
    )


TINY = [
    AddressRecord("Testikatu", "1", 60.17005, 24.9305),
    AddressRecord("Testikatu", "1", 60.17007, 24.9307),  # the same address thrice: medoid
    AddressRecord("Testikatu", "1", 60.17006, 24.9306),
    AddressRecord("Testikatu", "2", 60.16995, 24.9306),
    AddressRecord("Testikatu", "3 A", 60.17005, 24.9312),
    AddressRecord("Testikatu", "14-20", 60.16995, 24.9330),
    AddressRecord("Kauppahalli, Testikatu", "7, 2. krs.", 60.17005, 24.9325),
    AddressRecord("Testikatu 9", None, 60.17005, 24.9330),
    AddressRecord("Toinen tie", "5", 60.1705, 24.93205),
    AddressRecord("Toinen tie", None, 60.1695, 24.93195),
    AddressRecord("Kolmas kuja", "1", 60.1700, 24.9410),
    AddressRecord("Kolmas kuja", "2", 60.1702, 24.9412),
    AddressRecord("Testkatu", "4", 60.16995, 24.9308),  # a rare misspelling of Testikatu
]


@pytest.fixture
def tiny() -> Geocoder:
    return Geocoder(TINY, tiny_roads(), {"Testgatan": "Testikatu", "Ingen": "Ei ole"})


def first(geocoder: Geocoder, text: str) -> Place:
    found = geocoder.search(text)
    assert found, text
    return found[0]


@pytest.mark.parametrize(
    "text",
    [
        "Testikatu 2",
        "testikatu 2",
        "  TESTIKATU    2 ",
        "Testikatu 2, Helsinki",
        "Testikatu 2, 00100 Helsinki, Finland",
        "Testikatu 2 00100 Helsinki",
        "Testikatu2",
        "2 Testikatu",
        "Testik. 2",
        "Testi k. 2",
        "Testgatan 2",
    ],
)
def test_the_same_address_however_it_is_written(tiny: Geocoder, text: str) -> None:
    place = first(tiny, text)
    assert (place.label, place.kind, place.confidence) == ("Testikatu 2", "address", 1.0)
    assert (place.street, place.housenumber) == ("Testikatu", "2")
    assert (place.lat, place.lon) == (60.16995, 24.9306)


def test_addresses_are_cleaned_and_merged(tiny: Geocoder) -> None:
    known = {(a.street, a.housenumber) for a in tiny.addresses}
    assert known == {("Testikatu", n) for n in ["1", "2", "3 A", "4", "14-20", "7", "9"]} | {
        ("Toinen tie", "5"),
        ("Kolmas kuja", "1"),
        ("Kolmas kuja", "2"),
    }
    one = first(tiny, "Testikatu 1")
    assert (one.lat, one.lon) == (60.17006, 24.9306)
    assert first(tiny, "Testikatu 7").label == "Testikatu 7"  # "Kauppahalli, Testikatu"
    assert first(tiny, "Testikatu 9").confidence == 1.0  # the number was in the street tag
    for text in ("Testikatu 4", "Testkatu 4"):  # the misspelt record went into Testikatu
        merged = first(tiny, text)
        assert (merged.label, merged.confidence, merged.lon) == ("Testikatu 4", 1.0, 24.9308)


def test_numbers_near_the_one_asked_for(tiny: Geocoder) -> None:
    ranged = first(tiny, "Testikatu 16")
    assert (ranged.label, ranged.kind, ranged.confidence) == ("Testikatu 14-20", "address", 0.9)
    lettered = first(tiny, "Testikatu 3")
    assert (lettered.label, lettered.housenumber) == ("Testikatu 3 A", "3 A")
    assert lettered.confidence == 0.9
    missing = tiny.search("Testikatu 11")
    assert missing[0].kind == "address"
    assert missing[0].confidence == 0.6
    assert missing[0].label == "Testikatu 9"  # same side of the street (odd)
    assert ("Testikatu", "street") in {(p.label, p.kind) for p in missing}
    no_numbers = first(tiny, "Toinen tie 99")
    assert (no_numbers.label, no_numbers.kind) == ("Toinen tie 5", "address")


def test_misspelt_street_scales_confidence(tiny: Geocoder) -> None:
    place = first(tiny, "Testikatuu 2")
    assert place.label == "Testikatu 2"
    assert 0.75 <= place.confidence < 1.0


def test_street_without_number(tiny: Geocoder) -> None:
    road = first(tiny, "Toinen tie")
    assert (road.kind, road.label, road.housenumber) == ("street", "Toinen tie", None)
    assert road.confidence < 1.0
    assert road.lon == pytest.approx(24.9320)  # the midpoint of one of its two segments
    assert road.lat in (pytest.approx(60.1705), pytest.approx(60.1695))
    off_road = first(tiny, "Kolmas kuja")  # no segments: one of its address points
    assert off_road.kind == "street"
    assert (off_road.lat, off_road.lon) in [(60.1700, 24.9410), (60.1702, 24.9412)]


@pytest.mark.parametrize(
    "text",
    [
        "Testikatu & Toinen tie",
        "Testikatu / Toinen tie",
        "Testikatu/Toinen tie",
        "testikatu ja toinen tie",
        "Testikatu and Toinen tie",
        "Testikatu x Toinen tie",
        "Toinen tie & Testikatu 5",
    ],
)
def test_intersections(tiny: Geocoder, text: str) -> None:
    place = first(tiny, text)
    assert place.kind == "intersection"
    assert place.confidence == 1.0
    assert (place.lat, place.lon) == (LAT[1], LON[1])


def test_streets_that_do_not_meet(tiny: Geocoder) -> None:
    place = first(tiny, "Testikatu & Kolmas kuja")
    assert place.kind == "intersection"
    assert place.label == "Testikatu & Kolmas kuja"
    assert place.confidence < 0.5
    assert LON[2] < place.lon < 24.9410  # between the end of Testikatu and Kolmas kuja


@pytest.mark.parametrize("text", ["", "   ", "!!!", "12", "12 a", "&", "x & y", ",,,", "Zzzzzz 5"])
def test_garbage_finds_nothing(tiny: Geocoder, text: str) -> None:
    assert tiny.search(text) == []


def test_limit_and_order(tiny: Geocoder) -> None:
    found = tiny.search("Testikatu 11", limit=1)
    assert len(found) == 1
    many = tiny.search("Testikatu 11", limit=10)
    assert [p.confidence for p in many] == sorted((p.confidence for p in many), reverse=True)


def test_reverse_on_the_tiny_town(tiny: Geocoder) -> None:
    exact = tiny.reverse(60.16995, 24.9306)
    assert exact is not None
    assert (exact.label, exact.confidence) == ("Testikatu 2", 1.0)
    near = tiny.reverse(60.16995 - 0.0003, 24.9306)  # about 33 m south
    assert near is not None
    assert near.label == "Testikatu 2"
    assert 0.5 < near.confidence < 1
    assert tiny.reverse(60.1800, 24.9300) is None  # over a kilometre from any address
    assert Geocoder([], tiny_roads()).reverse(60.17, 24.93) is None
    assert Geocoder([], tiny_roads()).search("Testikatu 2") != []  # the street, from the roads


def test_place_is_frozen(tiny: Geocoder) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        first(tiny, "Testikatu 2").lat = 0.0  # type: ignore[misc]


def test_normalisation_helpers() -> None:
    assert street_key("Pohjoisesplanadi") == street_key("Pohj. Espa") == street_key("pohjoisespa")
    assert street_key("Itäinen Teatterikuja") == street_key("itainen teatterikj.")
    assert housenumber_key("13 A, 5. krs./Floor 5") == "13a"
    assert split_query("Mannerheimintie 5 A 12, Helsinki") == (["Mannerheimintie"], "5a")


# --- Helsinki -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extract() -> Path:
    return helsinki_extract()


@pytest.fixture(scope="module")
def roads(extract: Path) -> RoadGraph:
    return read_osm(extract)


@pytest.fixture(scope="module")
def helsinki(extract: Path, roads: RoadGraph) -> Geocoder:
    return Geocoder.from_osm(extract, roads)


@pytest.fixture(scope="module")
def sample(helsinki: Geocoder) -> list[AddressRecord]:
    """Eight addresses spread over the geocoder's own data, read from the extract."""
    addresses = sorted(helsinki.addresses, key=lambda a: (a.street, a.housenumber or ""))
    assert len(addresses) > 400
    return addresses[:: len(addresses) // 8][:8]


def metres_to_segments(graph: RoadGraph, name: str, lat: float, lon: float) -> float:
    """Distance from a point to the nearest road segment called ``name``."""
    edges = [e for e, n in enumerate(graph.names) if n == name]
    scale = math.cos(math.radians(lat)) * EARTH_RADIUS_M * math.pi / 180
    best = math.inf
    for e in edges:
        a, b = int(graph.u[e]), int(graph.v[e])
        ax, ay = (graph.lon[a] - lon) * scale, (graph.lat[a] - lat) * EARTH_RADIUS_M * math.pi / 180
        bx, by = (graph.lon[b] - lon) * scale, (graph.lat[b] - lat) * EARTH_RADIUS_M * math.pi / 180
        dx, dy = bx - ax, by - ay
        t = min(1.0, max(0.0, -(ax * dx + ay * dy) / max(dx * dx + dy * dy, 1e-12)))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


def test_sampled_addresses_are_in_the_extract(extract: Path, sample: list[AddressRecord]) -> None:
    raw = read_addresses(extract)
    assert len(raw) > 1000
    for address in sample:
        assert address.housenumber is not None
        same = [
            r
            for r in raw
            if r.housenumber
            and housenumber_key(r.housenumber) == housenumber_key(address.housenumber)
            and street_key(address.street) in street_key(r.street)
        ]
        assert same, address
        assert min(haversine_m(r.lat, r.lon, address.lat, address.lon) for r in same) < 100


def test_exact_addresses(helsinki: Geocoder, sample: list[AddressRecord]) -> None:
    for address in sample:
        label = f"{address.street} {address.housenumber}"
        for text in (label, f"  {label.upper()} , 00100 Helsinki", label.lower()):
            place = first(helsinki, text)
            assert (place.label, place.kind, place.confidence) == (label, "address", 1.0), text
            assert (place.lat, place.lon) == (address.lat, address.lon)


def test_misspelt_streets(helsinki: Geocoder, sample: list[AddressRecord]) -> None:
    for address in sample:
        street = address.street
        middle = len(street) // 2
        wrong = street[:middle] + ("e" if street[middle] != "e" else "a") + street[middle + 1 :]
        place = first(helsinki, f"{wrong} {address.housenumber}")
        assert place.label == f"{street} {address.housenumber}", wrong
        assert 0.75 <= place.confidence < 1.0
        assert (place.lat, place.lon) == (address.lat, address.lon)


def test_swedish_street_names(extract: Path, helsinki: Geocoder) -> None:
    aliases = read_street_aliases(extract)
    assert len(aliases) > 50
    by_street = {a.street: a for a in helsinki.addresses}
    pairs = [(sv, fi) for sv, fi in sorted(aliases.items()) if fi in by_street][:5]
    assert pairs
    for sv, fi in pairs:
        address = by_street[fi]
        place = first(helsinki, f"{sv} {address.housenumber}")
        assert place.label == f"{fi} {address.housenumber}"
        assert place.confidence == 1.0


def test_street_alone(helsinki: Geocoder, roads: RoadGraph) -> None:
    with_addresses = {a.street for a in helsinki.addresses}
    counts: dict[str, int] = defaultdict(int)
    for name in roads.names:
        counts[name] += name in with_addresses
    for name in sorted(counts, key=lambda n: -counts[n])[:5]:
        place = first(helsinki, name)
        assert (place.kind, place.label, place.housenumber) == ("street", name, None)
        assert 0 < place.confidence < 1
        assert metres_to_segments(roads, name, place.lat, place.lon) < 1.0


def test_missing_house_number(helsinki: Geocoder, sample: list[AddressRecord]) -> None:
    for address in sample:
        numbers = [
            int(a.housenumber.split("-")[0].split()[0])
            for a in helsinki.addresses
            if a.street == address.street and a.housenumber
        ]
        found = helsinki.search(f"{address.street} {max(numbers) + 101}")
        assert found[0].kind == "address"
        assert found[0].street == address.street
        assert found[0].confidence < 1.0
        assert ("street", address.street) in {(p.kind, p.label) for p in found}


def test_intersections_of_streets_that_share_a_node(helsinki: Geocoder, roads: RoadGraph) -> None:
    nodes: dict[str, set[int]] = defaultdict(set)
    for edge, name in enumerate(roads.names):
        if name:
            nodes[name] |= {int(roads.u[edge]), int(roads.v[edge])}
    pairs = sorted((a, b) for a in nodes for b in nodes if a < b and nodes[a] & nodes[b])
    assert len(pairs) > 20
    for a, b in pairs[:: len(pairs) // 6]:
        shared = sorted(nodes[a] & nodes[b])
        found = helsinki.search(f"{a} & {b}")
        assert (found[0].kind, found[0].confidence) == ("intersection", 1.0), (a, b)
        assert min(gap(roads, found[0], n) for n in shared) < 30
        assert any(gap(roads, p, shared[0]) < 30 for p in found if p.kind == "intersection")


def gap(graph: RoadGraph, place: Place, node: int) -> float:
    return haversine_m(place.lat, place.lon, graph.lat[node], graph.lon[node])


def test_reverse(helsinki: Geocoder, sample: list[AddressRecord]) -> None:
    for address in sample:
        place = helsinki.reverse(address.lat, address.lon)
        assert place is not None
        assert place.label == f"{address.street} {address.housenumber}"
        assert place.confidence == 1.0
        near = helsinki.reverse(address.lat + 0.0002, address.lon)  # about 22 m north
        assert near is not None
        assert 0 < near.confidence < 1
    assert helsinki.reverse(0.0, 0.0) is None
    north = max(a.lat for a in helsinki.addresses)
    assert helsinki.reverse(north + 0.01, 24.94) is None  # a kilometre beyond the data


@pytest.mark.parametrize("text", ["", "!!!", "12", " ,  , ", "katu", "Helsinki"])
def test_garbage_in_helsinki(helsinki: Geocoder, text: str) -> None:
    assert helsinki.search(text) == []
