"""When simulated calls arrive and what they are. Pure: numpy and the standard library.

Calls arrive as a non-homogeneous Poisson process whose rate is a weekly average scaled by
an hour-of-day and a day-of-week factor, both read in the city's local time zone. Each call
gets a nature drawn from a weighted mix and a real address: most uniformly over the city,
a configurable share near hotspots (a stadium, a nightlife street, a station).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from signalfire.geo.distance import EARTH_RADIUS_M
from signalfire.geo.geocode import AddressRecord

FloatArray = npt.NDArray[np.float64]


def _normalised(factors: Sequence[float]) -> tuple[float, ...]:
    """``factors`` rescaled to mean 1."""
    mean = math.fsum(factors) / len(factors)
    return tuple(float(f) / mean for f in factors)


# The usual diurnal shape of emergency call volume: a trough in the small hours (lowest
# around 04-06), a steep rise through the morning, a broad daytime plateau and a peak in the
# late afternoon and early evening (16-19), tapering off towards midnight. The values are an
# illustrative curve of that shape, not fitted to any particular data set.
DEFAULT_HOURLY: tuple[float, ...] = _normalised(
    (
        *(0.80, 0.70, 0.60, 0.52, 0.46, 0.45),  # 00-05
        *(0.52, 0.68, 0.88, 1.02, 1.10, 1.15),  # 06-11
        *(1.18, 1.18, 1.20, 1.24, 1.30, 1.34),  # 12-17
        *(1.35, 1.32, 1.25, 1.15, 1.02, 0.90),  # 18-23
    )
)

# Monday..Sunday: weekdays close to the average, Friday and Saturday busier (evenings out,
# nightlife), Sunday about average. Illustrative, not fitted.
DEFAULT_WEEKDAY: tuple[float, ...] = _normalised((0.97, 0.95, 0.95, 0.97, 1.05, 1.10, 1.01))

# Nature code -> relative weight. Medical calls are the bulk of the load, then police
# matters, then fire; the codes are those of the default nature catalogue.
DEFAULT_NATURE_MIX: Mapping[str, float] = MappingProxyType(
    {
        "MED-SICK": 12.0,
        "MED-FALL": 10.0,
        "MED-BREATHING": 7.0,
        "MED-CHEST-PAIN": 6.0,
        "MED-INJURY": 6.0,
        "MED-UNCONSCIOUS": 5.0,
        "MED-OVERDOSE": 3.0,
        "MED-SEIZURE": 2.0,
        "MED-BLEEDING": 2.0,
        "MED-STROKE": 2.0,
        "MED-CARDIAC-ARREST": 1.0,
        "MED-CHILDBIRTH": 0.5,
        "LAW-THEFT": 5.0,
        "LAW-DOMESTIC": 4.0,
        "LAW-DISTURBANCE": 4.0,
        "LAW-ASSAULT": 3.5,
        "LAW-SUSPICIOUS": 3.0,
        "TC-NO-INJURY": 3.0,
        "LAW-BURGLARY": 2.0,
        "LAW-ROBBERY": 0.5,
        "FIRE-ALARM": 5.0,
        "FIRE-SMOKE": 1.0,
        "FIRE-RUBBISH": 1.0,
        "FIRE-STRUCTURE": 0.8,
        "FIRE-VEHICLE": 0.5,
        "FIRE-ODOR-GAS": 0.5,
        "FIRE-ELEVATOR": 0.5,
        "TC-INJURY": 2.0,
        "PUBLIC-ASSIST": 2.0,
    }
)


def _check_number(name: str, value: float, *, low: float = 0.0, strict: bool = False) -> None:
    ok = math.isfinite(value) and (value > low if strict else value >= low)
    if not ok:
        relation = ">" if strict else ">="
        raise ValueError(f"{name}: expected a finite number {relation} {low}, got {value!r}")


def _check_factors(name: str, factors: Sequence[float], count: int) -> None:
    if len(factors) != count:
        raise ValueError(f"{name}: expected {count} factors, got {len(factors)}")
    for i, factor in enumerate(factors):
        _check_number(f"{name}[{i}]", factor)
    if math.fsum(factors) <= 0:
        raise ValueError(f"{name}: at least one factor must be positive")


@dataclass(frozen=True, slots=True)
class Hotspot:
    """A place that draws calls: addresses within ``radius_m`` of it, weighted by ``weight``."""

    lat: float
    lon: float
    radius_m: float
    weight: float = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        if not -90 <= self.lat <= 90:
            raise ValueError(f"lat: expected degrees in [-90, 90], got {self.lat!r}")
        if not -180 <= self.lon <= 180:
            raise ValueError(f"lon: expected degrees in [-180, 180], got {self.lon!r}")
        _check_number("radius_m", self.radius_m, strict=True)
        _check_number("weight", self.weight)


@dataclass(frozen=True, slots=True)
class CallModel:
    """How many calls arrive when, where and of what nature.

    ``hourly`` (local hours 0..23) and ``weekday`` (Monday..Sunday) are relative factors;
    they are rescaled to mean 1 so that ``calls_per_hour`` stays the average over a week.
    """

    calls_per_hour: float
    hourly: tuple[float, ...] = DEFAULT_HOURLY
    weekday: tuple[float, ...] = DEFAULT_WEEKDAY
    natures: Mapping[str, float] = field(default_factory=lambda: DEFAULT_NATURE_MIX)
    hotspots: tuple[Hotspot, ...] = ()
    hotspot_share: float = 0.3
    timezone: str = "Europe/Helsinki"

    def __post_init__(self) -> None:
        _check_number("calls_per_hour", self.calls_per_hour, strict=True)
        _check_factors("hourly", self.hourly, 24)
        _check_factors("weekday", self.weekday, 7)
        if not self.natures:
            raise ValueError("natures: expected at least one nature code with a weight")
        for code, weight in self.natures.items():
            _check_number(f"natures[{code!r}]", weight)
        if math.fsum(self.natures.values()) <= 0:
            raise ValueError("natures: at least one weight must be positive")
        if self.hotspots and math.fsum(h.weight for h in self.hotspots) <= 0:
            raise ValueError("hotspots: at least one hotspot weight must be positive")
        if not (math.isfinite(self.hotspot_share) and 0 <= self.hotspot_share <= 1):
            share = self.hotspot_share
            raise ValueError(f"hotspot_share: expected a share in [0, 1], got {share!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone: unknown IANA time zone {self.timezone!r}") from exc
        object.__setattr__(self, "hourly", _normalised(self.hourly))
        object.__setattr__(self, "weekday", _normalised(self.weekday))
        object.__setattr__(self, "natures", MappingProxyType(dict(self.natures)))
        object.__setattr__(self, "hotspots", tuple(self.hotspots))


@dataclass(frozen=True, slots=True)
class SimCall:
    """One simulated call: when, what, where; ``hotspot`` names the hotspot that drew it."""

    at: datetime
    nature_code: str
    lat: float
    lon: float
    address: str
    hotspot: str | None


def rate_at(model: CallModel, at: datetime) -> float:
    """Expected calls per hour at the instant ``at`` (an aware datetime).

    Parameters
    ----------
    model
        The call model.
    at
        The instant; converted to ``model.timezone`` to read the local hour and weekday.

    Returns
    -------
    float
        ``calls_per_hour`` times the hour-of-day and day-of-week factors.

    Examples
    --------
    >>> flat = CallModel(10.0, hourly=(1.0,) * 24, weekday=(1.0,) * 7)
    >>> rate_at(flat, datetime(2026, 3, 3, 5, tzinfo=UTC))
    10.0
    >>> model = CallModel(10.0)
    >>> tuesday_5 = datetime(2026, 3, 3, 3, tzinfo=UTC)  # 05:00 in Helsinki
    >>> saturday_18 = datetime(2026, 3, 7, 16, tzinfo=UTC)  # 18:00 in Helsinki
    >>> rate_at(model, tuesday_5) < 10.0 < rate_at(model, saturday_18)
    True
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at: expected an aware datetime (with a time zone)")
    local = at.astimezone(ZoneInfo(model.timezone))
    return model.calls_per_hour * model.hourly[local.hour] * model.weekday[local.weekday()]


def next_arrival(model: CallModel, after: datetime, rng: np.random.Generator) -> datetime:
    """The first call after ``after``, by thinning (Lewis and Shedler, 1979).

    Candidates come from a homogeneous Poisson process at the model's highest rate; each is
    kept with probability ``rate_at(candidate) / highest``. Exact for the piecewise-constant
    rate, whatever the gaps between arrivals.

    Parameters
    ----------
    model
        The call model.
    after
        An aware datetime; the search starts there.
    rng
        The random source; the same seed gives the same arrivals.

    Returns
    -------
    datetime
        The arrival time, in UTC, strictly after ``after``.

    Examples
    --------
    >>> start = datetime(2026, 3, 3, 12, tzinfo=UTC)
    >>> first = next_arrival(CallModel(60.0), start, np.random.default_rng(1))
    >>> first > start, first.tzinfo is UTC
    (True, True)
    >>> first == next_arrival(CallModel(60.0), start, np.random.default_rng(1))
    True
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("after: expected an aware datetime (with a time zone)")
    highest = model.calls_per_hour * max(model.hourly) * max(model.weekday)
    at = after.astimezone(UTC)
    while True:
        at += timedelta(hours=float(rng.exponential(1.0 / highest)))
        if rng.random() * highest < rate_at(model, at) and at > after:
            return at


def address_label(record: AddressRecord) -> str:
    """``"Street 12"``, or only the street when the address has no house number.

    >>> address_label(AddressRecord("Mannerheimintie", "5", 60.17, 24.94))
    'Mannerheimintie 5'
    >>> address_label(AddressRecord("Kauppatori", None, 60.17, 24.95))
    'Kauppatori'
    """
    return f"{record.street} {record.housenumber}" if record.housenumber else record.street


def distances_m(lat: float, lon: float, lats: FloatArray, lons: FloatArray) -> FloatArray:
    """Great-circle metres from one point to many (haversine, vectorised).

    >>> lats, lons = np.array([60.1710, 60.1704]), np.array([24.9414, 24.9522])
    >>> [round(float(x)) for x in distances_m(60.1710, 24.9414, lats, lons)]
    [0, 601]
    """
    phi1, phi2 = math.radians(lat), np.radians(lats)
    dphi, dlam = phi2 - phi1, np.radians(lons - lon)
    a = np.sin(dphi / 2) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    result: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return result


def _pick(weights: Sequence[float], rng: np.random.Generator) -> int:
    """An index drawn with probability proportional to its weight."""
    p = np.asarray(weights, dtype=float)
    return int(rng.choice(len(p), p=p / p.sum()))


def _place(
    model: CallModel, addresses: Sequence[AddressRecord], rng: np.random.Generator
) -> tuple[int, str | None]:
    """Index of the address a call comes from, and the name of the hotspot that drew it."""
    if not (model.hotspots and rng.random() < model.hotspot_share):
        return int(rng.integers(len(addresses))), None
    k = _pick([h.weight for h in model.hotspots], rng)
    spot = model.hotspots[k]
    lats = np.fromiter((a.lat for a in addresses), dtype=float, count=len(addresses))
    lons = np.fromiter((a.lon for a in addresses), dtype=float, count=len(addresses))
    metres = distances_m(spot.lat, spot.lon, lats, lons)
    inside = np.flatnonzero(metres <= spot.radius_m)
    index = int(rng.choice(inside)) if inside.size else int(np.argmin(metres))
    return index, spot.name or f"hotspot {k + 1}"


def draw_call(
    model: CallModel,
    at: datetime,
    addresses: Sequence[AddressRecord],
    rng: np.random.Generator,
) -> SimCall:
    """A call arriving at ``at``: a nature from the mix and an address.

    With probability ``model.hotspot_share`` (and when the model has hotspots) the call
    comes from a hotspot chosen by weight, at an address drawn uniformly among those within
    its radius, or the nearest address when none is; otherwise from any address uniformly.

    Parameters
    ----------
    model
        The call model (nature mix, hotspots).
    at
        The arrival time, copied to the call.
    addresses
        The city's addresses; at least one.
    rng
        The random source.

    Returns
    -------
    SimCall
        The call, located at the chosen address.

    Examples
    --------
    >>> homes = [AddressRecord("Kaivokatu", "1", 60.1711, 24.9414)]
    >>> model = CallModel(10.0, natures={"MED-FALL": 1.0})
    >>> call = draw_call(model, datetime(2026, 3, 3, tzinfo=UTC), homes, np.random.default_rng(0))
    >>> call.nature_code, call.address, call.lat, call.hotspot
    ('MED-FALL', 'Kaivokatu 1', 60.1711, None)
    """
    if not addresses:
        raise ValueError("addresses: expected at least one address to place calls at")
    codes = list(model.natures)
    nature = codes[_pick([model.natures[c] for c in codes], rng)]
    index, hotspot = _place(model, addresses, rng)
    record = addresses[index]
    return SimCall(
        at=at,
        nature_code=nature,
        lat=record.lat,
        lon=record.lon,
        address=address_label(record),
        hotspot=hotspot,
    )
