"""Offline geocoding over an OSM extract: addresses, streets and intersections. Pure.

Forward search tolerates case, spacing, typos (rapidfuzz on a normalised street key),
common Finnish and Swedish abbreviations and Swedish street names; reverse lookup finds
the nearest address point with a k-d tree.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from rapidfuzz import fuzz, process
from scipy.spatial import cKDTree

from signalfire.geo.distance import EARTH_RADIUS_M, haversine_m
from signalfire.geo.roads import FloatArray, IntArray, RoadGraph

Kind = Literal["address", "street", "intersection"]

REVERSE_RADIUS_M = 500.0
STREET_CUTOFF = 75.0  # least rapidfuzz ratio (0..100) for a street to count as a match
NEAR_EXACT = 0.9  # the number is in a range ("14-20") or differs only by its letter
NEAREST_NUMBER = 0.6  # the number is not on the street; its nearest one is
STREET_ONLY = 0.7  # no number asked for: the street itself
STREET_FALLBACK = 0.5  # a number was asked for but the street answers
MEET_RADIUS_M = 60.0  # shared nodes closer than this are one crossing

_WORDS = {"espa": "esplanadi", "espl": "esplanadi", "esplanad": "esplanadi", "pohj": "pohjois"}
_WORDS |= {"et": "etelä", "n": "norra", "s": "södra"}
_ENDINGS = {"espa": "esplanadi", "espl": "esplanadi"}  # expanded even without a dot
_SHORT = {"kj": "kuja", "k": "katu", "t": "tie", "g": "gatan", "v": "vägen"}  # need a dot
_CITIES = {"helsinki", "helsingfors", "espoo", "esbo", "vantaa", "vanda", "finland", "suomi"}
_SEPARATOR = re.compile(r"\s*[&/+@]\s*|\s+(?:ja|and|och|x)\s+", re.IGNORECASE)
_NUMBER = re.compile(r"(\d+)(?:\s*-\s*(\d+))?(?:\s*([^\W\d_])(?![^\W\d_]))?")
_LETTERS = re.compile(r"[^\W\d_]+\.?")


@dataclass(frozen=True, slots=True)
class AddressRecord:
    """One address point: street, house number (``None`` if untagged), WGS84 degrees."""

    street: str
    housenumber: str | None
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Place:
    """A geocoding answer. ``street`` is the first street of an intersection."""

    label: str
    lat: float
    lon: float
    kind: Kind
    confidence: float
    street: str
    housenumber: str | None = None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def street_key(text: str) -> str:
    """Compare-key of a street name: abbreviations expanded, letters only, no accents.

    Examples
    --------
    >>> street_key("Alvar Aallon  Katu")
    'alvaraallonkatu'
    >>> street_key("Aleksanterink. ") == street_key("aleksanterin k") == "aleksanterinkatu"
    True
    >>> street_key("Mannerheimint."), street_key("Lönnrotinkatu")
    ('mannerheimintie', 'lonnrotinkatu')
    >>> street_key("Pohj. Espa"), street_key("Eteläespa"), street_key("Asema-aukio")
    ('pohjoisesplanadi', 'etelaesplanadi', 'asemaaukio')
    >>> street_key("Mannerheimv.")
    'mannerheimvagen'
    """
    words = _LETTERS.findall(unicodedata.normalize("NFC", text.lower()))
    out = []
    for i, word in enumerate(words):
        stem = word.rstrip(".")
        if stem in _WORDS:
            stem = _WORDS[stem]
        elif i > 0 and stem in _SHORT:
            stem = _SHORT[stem]
        else:
            dotted = word.endswith(".")
            for short, full in (_ENDINGS | _SHORT).items():
                if stem.endswith(short) and len(stem) > len(short) + 2:
                    if short in _ENDINGS or dotted:
                        stem = stem[: -len(short)] + full
                    break
        out.append(stem)
    return _fold("".join(out))


def housenumber_key(text: str) -> str | None:
    """Compare-key of a house number (first number, its range and letter) or ``None``.

    Examples
    --------
    >>> housenumber_key("12 a"), housenumber_key("12A"), housenumber_key("14 - 20")
    ('12a', '12a', '14-20')
    >>> housenumber_key("8, 2. krs./2nd floor"), housenumber_key("Keskuskatu 5")
    ('8', '5')
    >>> housenumber_key("5 A 12"), housenumber_key("krs") is None
    ('5a', True)
    """
    match = _NUMBER.search(text.lower())
    if match is None:
        return None
    first, last, letter = match.groups()
    return first + (f"-{last}" if last else "") + (letter or "")


def _display_number(key: str) -> str:
    """``"12a"`` → ``"12 A"`` (the Finnish way); ranges and plain numbers as they are."""
    return f"{key[:-1]} {key[-1].upper()}" if key[-1].isalpha() else key


def _span(key: str) -> tuple[int, int]:
    numbers = [int(n) for n in re.findall(r"\d+", key)]
    return numbers[0], numbers[-1]


def _has_street(text: str) -> bool:
    return len(street_key(text)) >= 2


def _clean_part(text: str) -> str:
    """Drop postcodes and city names from one comma-separated part of a query."""
    words = re.sub(r"\b\d{5}\b", " ", text).split()
    return " ".join(w for w in words if _fold(w.lower().strip(".")) not in _CITIES)


def split_query(text: str) -> tuple[list[str], str | None]:
    """Street part(s) and house-number key of a query; two streets for an intersection.

    Examples
    --------
    >>> split_query("Mannerheimintie 5 B, 00100 Helsinki")
    (['Mannerheimintie'], '5b')
    >>> split_query("annankatu & Bulevardi"), split_query("Annankatu x Bulevardi 2")
    ((['annankatu', 'Bulevardi'], None), (['Annankatu', 'Bulevardi'], None))
    >>> split_query("5 Mannerheimintie"), split_query("Bulevardi")
    ((['Mannerheimintie'], '5'), (['Bulevardi'], None))
    >>> split_query("12"), split_query("!!!")
    (([], None), ([], None))
    """
    parts = [_clean_part(p) for p in text.split(",")]
    parts = [p for p in parts if _has_street(p)]
    if not parts:
        return [], None
    main = re.sub(r"(?<=[^\W\d_])(?=\d)", " ", parts[0])
    sides = [s.strip() for s in _SEPARATOR.split(main)]
    if len(sides) == 2 and all(_has_street(s) for s in sides):
        return [re.sub(r"\s*\d.*$", "", s) for s in sides], None
    tokens = main.split()
    at = next((i for i, t in enumerate(tokens) if t[0].isdigit()), None)
    if at is None:
        return [main], None
    street = " ".join(tokens[1:] if at == 0 else tokens[:at])
    number = housenumber_key(tokens[0] if at == 0 else " ".join(tokens[at:]))
    return ([street], number) if _has_street(street) else ([], None)


def _clean_street(raw: str) -> tuple[str, str | None]:
    """``"Asemahalli, Kaivokatu"`` → Kaivokatu; ``"A/B"`` → A; ``"Mikonkatu 19"`` → (.., 19)."""
    street = raw.split(",")[-1].split("/")[0].strip()
    match = re.match(r"^(.*?[^\W\d_].*?)\s+(\d.*)$", street)
    if match:
        return match.group(1), housenumber_key(match.group(2))
    return street, None


@dataclass
class _Street:
    name: str
    numbers: dict[str, tuple[float, float]] = field(default_factory=dict)
    points: list[tuple[float, float]] = field(default_factory=list)
    edges: list[int] = field(default_factory=list)


class Geocoder:
    """Forward and reverse geocoding over address points and a road graph.

    ``aliases`` maps other names of streets (Swedish ones, say) to their main name.
    """

    def __init__(
        self,
        addresses: Iterable[AddressRecord],
        roads: RoadGraph,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.roads = roads
        names: defaultdict[str, Counter[str]] = defaultdict(Counter)
        rows: list[tuple[str, str | None, float, float]] = []
        for rec in addresses:
            street, number = _clean_street(rec.street)
            key = street_key(street)
            if len(key) >= 2:
                number = housenumber_key(rec.housenumber) if rec.housenumber else number
                names[key][street] += 1
                rows.append((key, number, rec.lat, rec.lon))
        counts = Counter(key for key, *_ in rows)
        road_keys: defaultdict[str, list[int]] = defaultdict(list)
        for edge, name in enumerate(roads.names):
            if len(key := street_key(name)) >= 2:
                road_keys[key].append(edge)
                names[key][name] += 1
        self._vocab = {key: key for key in names}
        for other, main in (aliases or {}).items():
            if street_key(main) in names and len(street_key(other)) >= 2:
                self._vocab.setdefault(street_key(other), street_key(main))
        self._merge_typos(counts, road_keys)
        self._choices = list(self._vocab)
        self._streets = {k: _Street(c.most_common(1)[0][0]) for k, c in names.items()}
        for key, edges in road_keys.items():
            self._streets[key].edges = edges
        grouped: defaultdict[tuple[str, str | None], list[tuple[float, float]]] = defaultdict(list)
        for key, number, lat, lon in rows:
            grouped[(self._vocab[key], number)].append((lat, lon))
        for (key, number), points in grouped.items():
            pts = np.array(points)  # the medoid: a real point, deaf to a stray one
            spread = np.abs(pts[:, None, :] - pts[None, :, :]).sum(axis=(1, 2))
            lat, lon = (float(c) for c in pts[int(np.argmin(spread))])
            self._streets[key].points.extend(points)
            if number is not None:
                self._streets[key].numbers[number] = (lat, lon)
        lats = [lat for *_, lat, _ in rows] or roads.lat.tolist() or [0.0]
        lons = [lon for *_, lon in rows] or roads.lon.tolist() or [0.0]
        self._lat0, self._lon0 = float(np.mean(lats)), float(np.mean(lons))
        self._x, self._y = self._planar(roads.lat, roads.lon)
        self._numbered = [(k, n) for k, s in self._streets.items() for n in sorted(s.numbers)]
        at = np.array([self._streets[k].numbers[n] for k, n in self._numbered]).reshape(-1, 2)
        self._tree = cKDTree(np.column_stack(self._planar(at[:, 0], at[:, 1])))

    @classmethod
    def from_osm(cls, path: Path, roads: RoadGraph) -> Geocoder:
        """The geocoder of an ``.osm.pbf`` extract whose driving graph is ``roads``."""
        return cls(read_addresses(path), roads, read_street_aliases(path))

    def _merge_typos(self, counts: Counter[str], road_keys: Mapping[str, list[int]]) -> None:
        """Fold rare address-only spellings ("Kluuvinkatu", once) into a well-known street."""
        known = [k for k in self._vocab if k in road_keys or counts[k] >= 5]
        known += [k for k, main in self._vocab.items() if k != main]
        for key, count in counts.items():
            if key in road_keys or count > 2 or len(key) < 8 or self._vocab[key] != key:
                continue
            hit = process.extractOne(
                key, [k for k in known if k != key], scorer=fuzz.ratio, score_cutoff=90
            )
            if hit is not None:
                self._vocab[key] = self._vocab[hit[0]]

    @property
    def addresses(self) -> list[AddressRecord]:
        """One point per known address (the medoid of the points that share it)."""
        return [
            AddressRecord(self._streets[k].name, _display_number(n), *self._streets[k].numbers[n])
            for k, n in self._numbered
        ]

    def _planar(self, lat: Any, lon: Any) -> tuple[FloatArray, FloatArray]:
        lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
        x = np.radians(lon - self._lon0) * EARTH_RADIUS_M * math.cos(math.radians(self._lat0))
        return x, np.radians(lat - self._lat0) * EARTH_RADIUS_M

    def _unplanar(self, x: float, y: float) -> tuple[float, float]:
        lat = self._lat0 + math.degrees(y / EARTH_RADIUS_M)
        cos = math.cos(math.radians(self._lat0))
        return lat, self._lon0 + math.degrees(x / (EARTH_RADIUS_M * cos))

    # --- forward ------------------------------------------------------------------------

    def _match_streets(self, text: str, limit: int = 3) -> list[tuple[str, float]]:
        """Street keys that ``text`` may name, with scores in 0..1, best first."""
        key = street_key(text)
        if len(key) < 2:
            return []
        best: dict[str, float] = {}
        found = process.extract(key, self._choices, scorer=fuzz.ratio, limit=None)
        for choice, score, _ in found:
            if len(key) >= 5 and key in choice:  # a prefix or part: "mannerheimin"
                score = max(score, min(99.0, 80 + 20 * len(key) / len(choice)))
            if score >= STREET_CUTOFF:
                main = self._vocab[choice]
                best[main] = max(best.get(main, 0.0), score / 100)
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    def search(self, text: str, limit: int = 5) -> list[Place]:
        """Places that ``text`` names, best first (empty when nothing fits)."""
        streets, number = split_query(text)
        places: list[Place] = []
        if len(streets) == 2:
            for a, sa in self._match_streets(streets[0]):
                for b, sb in self._match_streets(streets[1]):
                    if a != b:
                        places += self._crossings(a, b, sa * sb)
        elif streets:
            for key, score in self._match_streets(streets[0]):
                places += self._addresses(key, number, score)
        unique: dict[tuple[str, str, float, float], Place] = {}
        for place in sorted(places, key=lambda p: -p.confidence):
            unique.setdefault((place.label, place.kind, place.lat, place.lon), place)
        return list(unique.values())[:limit]

    def _address(self, key: str, number: str, confidence: float) -> Place:
        street, shown = self._streets[key], _display_number(number)
        lat, lon = street.numbers[number]
        return Place(f"{street.name} {shown}", lat, lon, "address", confidence, street.name, shown)

    def _addresses(self, key: str, number: str | None, score: float) -> list[Place]:
        street = self._streets[key]
        if number is None:
            return [self._street_place(key, STREET_ONLY * score)]
        if number in street.numbers:
            return [self._address(key, number, score)]
        fallback = [self._street_place(key, STREET_FALLBACK * score)]
        if not street.numbers:
            return fallback
        lo, hi = _span(number)

        def distance(other: str) -> tuple[int, int, str]:
            a, b = _span(other)
            gap = 0 if a <= lo and hi <= b else min(abs(lo - a), abs(lo - b))
            return gap + 2 * ((a - lo) % 2), a, other  # the other side of the street is farther

        nearest = min(street.numbers, key=distance)
        weight = NEAR_EXACT if distance(nearest)[0] == 0 else NEAREST_NUMBER
        return [self._address(key, nearest, weight * score), *fallback]

    def _street_place(self, key: str, confidence: float) -> Place:
        """The segment (or address point) nearest the middle of the street."""
        street, g = self._streets[key], self.roads
        if street.edges:
            e = np.array(street.edges, dtype=np.int64)
            x, y = (self._x[g.u[e]] + self._x[g.v[e]]) / 2, (self._y[g.u[e]] + self._y[g.v[e]]) / 2
            w = g.length_m[e] + 1e-9
        else:
            x, y = self._planar(*np.array(street.points).T)
            w = np.ones(len(x))
        cx, cy = np.average(x, weights=w), np.average(y, weights=w)
        best = int(np.argmin(np.hypot(x - cx, y - cy)))
        lat, lon = self._unplanar(float(x[best]), float(y[best]))
        return Place(street.name, lat, lon, "street", confidence, street.name)

    def _street_xy(self, key: str) -> tuple[FloatArray, IntArray]:
        """Planar points of a street: its graph nodes, else its address points."""
        street, g = self._streets[key], self.roads
        if street.edges:
            nodes = np.unique(np.concatenate([g.u[street.edges], g.v[street.edges]]))
            return np.column_stack((self._x[nodes], self._y[nodes])), nodes
        lat, lon = np.array(street.points).T
        return np.column_stack(self._planar(lat, lon)), np.full(len(lat), -1, dtype=np.int64)

    def _crossings(self, a: str, b: str, score: float) -> list[Place]:
        """Where streets ``a`` and ``b`` meet; if they do not, their closest approach."""
        first, second = self._streets[a], self._streets[b]
        label = f"{first.name} & {second.name}"
        xa, na = self._street_xy(a)
        xb, nb = self._street_xy(b)
        if len(xa) == 0 or len(xb) == 0:
            return []
        shared = sorted(set(na.tolist()) & set(nb.tolist()) - {-1})
        if not shared:
            found, found_at = cKDTree(xb).query(xa)
            dist, nearest = np.atleast_1d(found), np.atleast_1d(found_at)
            i = int(np.argmin(dist))
            mx, my = (xa[i] + xb[int(nearest[i])]) / 2
            lat, lon = self._unplanar(float(mx), float(my))
            conf = 0.5 * score * math.exp(-float(dist[i]) / 200)
            return [Place(label, lat, lon, "intersection", conf, first.name)]
        clusters: list[list[int]] = []  # a divided road meets another at several nodes
        for node in shared:
            home = next((c for c in clusters if self._metres(c[0], node) < MEET_RADIUS_M), None)
            if home is None:
                clusters.append([node])
            else:
                home.append(node)
        places = []
        for members in clusters:  # each crossing at its node nearest the crossing's middle
            cx, cy = float(np.mean(self._x[members])), float(np.mean(self._y[members]))
            node = min(members, key=lambda n: math.hypot(self._x[n] - cx, self._y[n] - cy))
            lat, lon = float(self.roads.lat[node]), float(self.roads.lon[node])
            places.append(Place(label, lat, lon, "intersection", score, first.name))
        return places

    def _metres(self, a: int, b: int) -> float:
        return math.hypot(float(self._x[a] - self._x[b]), float(self._y[a] - self._y[b]))

    # --- reverse ------------------------------------------------------------------------

    def reverse(self, lat: float, lon: float) -> Place | None:
        """The nearest address within 500 m, less confident the farther it is; else ``None``."""
        if not self._numbered:
            return None
        x, y = self._planar(lat, lon)
        _d, i = self._tree.query([float(x), float(y)], distance_upper_bound=2 * REVERSE_RADIUS_M)
        if i >= len(self._numbered):
            return None
        key, number = self._numbered[int(i)]
        place = self._address(key, number, 1.0)
        metres = haversine_m(lat, lon, place.lat, place.lon)
        if metres > REVERSE_RADIUS_M:
            return None
        return replace(place, confidence=math.exp(-metres / 100))


def _osm_table(path: Path, key: str, columns: list[str], nodes: bool) -> Any:
    import pyrosm  # heavy; only needed when building

    return pyrosm.OSM(str(path)).get_data_by_custom_criteria(
        custom_filter={key: True},
        filter_type="keep",
        keep_nodes=nodes,
        keep_ways=True,
        keep_relations=False,
        tags_as_columns=columns,
    )


def read_addresses(path: Path) -> list[AddressRecord]:
    """Every node and way of an ``.osm.pbf`` with ``addr:street`` (ways at their centroid)."""
    table = _osm_table(path, "addr:street", ["addr:street", "addr:housenumber"], nodes=True)
    if table is None:
        return []
    records = []
    for street, number, tags, lat, lon, shape in zip(
        *(table[c] for c in ("addr:street", "addr:housenumber", "tags", "lat", "lon")),
        table["geometry"],
        strict=True,
    ):
        if not isinstance(street, str) or not street.strip():
            continue
        if not isinstance(number, str):  # pyrosm leaves some only in the tags
            number = json.loads(tags).get("addr:housenumber") if isinstance(tags, str) else None
        if math.isnan(lat) or math.isnan(lon):  # a way: its centroid
            lat, lon = shape.centroid.y, shape.centroid.x
        records.append(AddressRecord(street.strip(), number, float(lat), float(lon)))
    return records


def read_street_aliases(path: Path) -> dict[str, str]:
    """Swedish street names (``name:sv`` of highways) → their Finnish ``name``."""
    table = _osm_table(path, "highway", ["name", "name:sv"], nodes=False)
    if table is None or "name:sv" not in table:
        return {}
    pairs = table.dropna(subset=["name", "name:sv"])
    return {str(sv): str(fi) for fi, sv in zip(pairs["name"], pairs["name:sv"], strict=True)}


__all__ = ["AddressRecord", "Geocoder", "Place", "housenumber_key", "split_query", "street_key"]
