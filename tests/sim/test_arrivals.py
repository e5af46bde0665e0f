"""The call arrival model: rates by local hour and weekday, thinning, natures, places."""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from scipy.stats import chi2

from signalfire.geo.distance import haversine_m
from signalfire.geo.geocode import AddressRecord
from signalfire.incidents.natures import DEFAULT_CATALOGUE, Discipline
from signalfire.sim.arrivals import (
    DEFAULT_HOURLY,
    DEFAULT_NATURE_MIX,
    DEFAULT_WEEKDAY,
    CallModel,
    Hotspot,
    SimCall,
    draw_call,
    next_arrival,
    rate_at,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
#: 1e-3 false-alarm level for the chi-square checks; the seeds are fixed, so a correct
#: model passes always, and a wrong profile (or a biased draw) shows up far beyond it.
ALPHA = 1e-3


def grid(n: int = 10) -> list[AddressRecord]:
    """``n`` x ``n`` addresses about 100 m apart in central Helsinki."""
    return [
        AddressRecord(f"Katu{i}", str(j + 1), 60.165 + i * 0.0009, 24.93 + j * 0.0018)
        for i in range(n)
        for j in range(n)
    ]


def arrivals(model: CallModel, start: datetime, end: datetime, seed: int) -> list[datetime]:
    rng = np.random.default_rng(seed)
    found, at = [], start
    while (at := next_arrival(model, at, rng)) < end:
        found.append(at)
    return found


def test_default_profiles_are_normalised_and_shaped_like_call_volume() -> None:
    assert (len(DEFAULT_HOURLY), len(DEFAULT_WEEKDAY)) == (24, 7)
    assert sum(DEFAULT_HOURLY) / 24 == pytest.approx(1.0)
    assert sum(DEFAULT_WEEKDAY) / 7 == pytest.approx(1.0)
    assert DEFAULT_HOURLY.index(min(DEFAULT_HOURLY)) in range(4, 7)
    assert DEFAULT_HOURLY.index(max(DEFAULT_HOURLY)) in range(16, 21)
    assert sorted(range(7), key=lambda d: DEFAULT_WEEKDAY[d])[-2:] == [4, 5]  # Fri, Sat


def test_the_nature_mix_uses_catalogue_codes_ems_first_then_law_then_fire() -> None:
    catalogue = {nature.code: nature for nature in DEFAULT_CATALOGUE}
    assert set(DEFAULT_NATURE_MIX) <= set(catalogue)
    share: dict[Discipline, float] = dict.fromkeys(Discipline, 0.0)
    for code, weight in DEFAULT_NATURE_MIX.items():
        share[catalogue[code].discipline] += weight
    assert share[Discipline.EMS] > share[Discipline.LAW] > share[Discipline.FIRE] > 0


def test_rate_follows_local_hour_and_weekday() -> None:
    model = CallModel(12.0)
    tuesday_5 = datetime(2026, 3, 3, 5, tzinfo=HELSINKI)
    saturday_18 = datetime(2026, 3, 7, 18, tzinfo=HELSINKI)
    assert rate_at(model, tuesday_5) == pytest.approx(12.0 * DEFAULT_HOURLY[5] * DEFAULT_WEEKDAY[1])
    expected = (DEFAULT_HOURLY[18] * DEFAULT_WEEKDAY[5]) / (DEFAULT_HOURLY[5] * DEFAULT_WEEKDAY[1])
    assert rate_at(model, saturday_18) / rate_at(model, tuesday_5) == pytest.approx(expected)
    assert expected > 3  # the night trough is deep
    # The same instant given in UTC, and in summer time (UTC+3): still the local hour.
    assert rate_at(model, tuesday_5.astimezone(UTC)) == rate_at(model, tuesday_5)
    july_5 = datetime(2026, 7, 7, 2, tzinfo=UTC)  # Tuesday 05:00 EEST
    assert rate_at(model, july_5) == rate_at(model, tuesday_5)


def test_factors_are_rescaled_so_the_rate_is_the_weekly_average() -> None:
    model = CallModel(6.0, hourly=(2.0,) * 24, weekday=(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0))
    sunday = datetime(2026, 3, 8, 12, tzinfo=HELSINKI)
    assert rate_at(model, sunday) == pytest.approx(6.0 * 7)
    assert rate_at(model, sunday - timedelta(days=1)) == 0.0
    with pytest.raises(ValueError, match="at: "):
        rate_at(model, datetime(2026, 3, 8, 12))


def test_arrival_counts_per_hour_match_the_rate() -> None:
    model = CallModel(30.0)
    start = datetime(2026, 1, 5, tzinfo=HELSINKI)  # a Monday; no DST change in the span
    weeks = 8
    hours = [start.astimezone(UTC) + timedelta(hours=h) for h in range(weeks * 7 * 24)]
    expected = np.zeros((7, 24))
    for hour in hours:
        local = hour.astimezone(HELSINKI)
        expected[local.weekday(), local.hour] += rate_at(model, hour)  # x 1 hour
    observed = np.zeros((7, 24))
    for at in arrivals(model, start, start + timedelta(weeks=weeks), seed=11):
        local = at.astimezone(HELSINKI)
        observed[local.weekday(), local.hour] += 1
    total = expected.sum()
    assert total == pytest.approx(30.0 * 24 * 7 * weeks)
    assert abs(observed.sum() - total) < 4 * math.sqrt(total)
    by_hour, expected_by_hour = observed.sum(axis=0), expected.sum(axis=0)
    assert np.all(np.abs(by_hour - expected_by_hour) < 4 * np.sqrt(expected_by_hour))
    statistic = float(((observed - expected) ** 2 / expected).sum())
    assert statistic < chi2.ppf(1 - ALPHA, df=observed.size - 1)
    # The profile is really there: the 05:00 hour is far quieter than the 18:00 hour.
    assert by_hour[5] < 0.5 * by_hour[18]


def test_a_zero_rate_hour_gets_no_calls() -> None:
    hourly = tuple(1.0 if h == 12 else 0.0 for h in range(24))
    model = CallModel(2.0, hourly=hourly)
    start = datetime(2026, 1, 5, tzinfo=HELSINKI)
    found = arrivals(model, start, start + timedelta(days=14), seed=3)
    assert found
    assert {at.astimezone(HELSINKI).hour for at in found} == {12}


def test_natures_follow_their_weights() -> None:
    model = CallModel(10.0)
    rng = np.random.default_rng(5)
    at = datetime(2026, 3, 3, tzinfo=UTC)
    draws = 20_000
    counts = Counter(draw_call(model, at, grid(3), rng).nature_code for _ in range(draws))
    codes = list(DEFAULT_NATURE_MIX)
    weights = np.array([DEFAULT_NATURE_MIX[c] for c in codes])
    expected = draws * weights / weights.sum()
    observed = np.array([counts[c] for c in codes])
    assert set(counts) <= set(codes)
    statistic = float(((observed - expected) ** 2 / expected).sum())
    assert statistic < chi2.ppf(1 - ALPHA, df=len(codes) - 1)


def hotspot_model(share: float) -> CallModel:
    return CallModel(
        10.0,
        hotspots=(
            Hotspot(60.169, 24.938, radius_m=250.0, weight=3.0, name="square"),
            Hotspot(60.165, 24.93, radius_m=150.0, weight=1.0),
        ),
        hotspot_share=share,
    )


def test_hotspots_draw_their_share_of_calls_near_them() -> None:
    model, addresses, draws = hotspot_model(0.3), grid(), 10_000
    rng = np.random.default_rng(9)
    at = datetime(2026, 3, 3, tzinfo=UTC)
    calls = [draw_call(model, at, addresses, rng) for _ in range(draws)]
    near = [c for c in calls if c.hotspot is not None]
    sigma = math.sqrt(draws * 0.3 * 0.7)
    assert abs(len(near) - 0.3 * draws) < 4 * sigma
    square = sum(c.hotspot == "square" for c in near)
    assert abs(square - 0.75 * len(near)) < 4 * math.sqrt(len(near) * 0.75 * 0.25)
    spots = {"square": model.hotspots[0], "hotspot 2": model.hotspots[1]}
    for call in near:
        spot = spots[call.hotspot or ""]
        assert haversine_m(spot.lat, spot.lon, call.lat, call.lon) <= spot.radius_m
    # The rest spread uniformly over all the addresses.
    spread = Counter(c.address for c in calls if c.hotspot is None)
    assert len(spread) == len(addresses)
    expected = (draws - len(near)) / len(addresses)
    statistic = sum((spread[label] - expected) ** 2 / expected for label in spread)
    assert statistic < chi2.ppf(1 - ALPHA, df=len(addresses) - 1)


def test_a_hotspot_without_addresses_uses_the_nearest_one() -> None:
    model = CallModel(10.0, hotspots=(Hotspot(60.16, 24.93, radius_m=10.0),), hotspot_share=1.0)
    rng = np.random.default_rng(2)
    at = datetime(2026, 3, 3, tzinfo=UTC)
    labels = {draw_call(model, at, grid(), rng).address for _ in range(20)}
    assert labels == {"Katu0 1"}  # the grid's south-west corner


def test_the_same_seed_gives_the_same_calls() -> None:
    model, addresses = hotspot_model(0.5), grid()
    start = datetime(2026, 3, 3, tzinfo=UTC)

    def run(seed: int) -> list[SimCall]:
        rng = np.random.default_rng(seed)
        calls, at = [], start
        for _ in range(50):
            at = next_arrival(model, at, rng)
            calls.append(draw_call(model, at, addresses, rng))
        return calls

    assert run(4) == run(4)
    assert run(4) != run(5)


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("calls_per_hour", {"calls_per_hour": 0.0}),
        ("calls_per_hour", {"calls_per_hour": math.nan}),
        ("hourly", {"hourly": (1.0,) * 23}),
        ("hourly[3]", {"hourly": (1.0,) * 3 + (-1.0,) + (1.0,) * 20}),
        ("hourly", {"hourly": (0.0,) * 24}),
        ("weekday", {"weekday": (1.0,) * 6}),
        ("natures", {"natures": {}}),
        ("natures['MED-FALL']", {"natures": {"MED-FALL": -1.0}}),
        ("natures", {"natures": {"MED-FALL": 0.0}}),
        ("hotspot_share", {"hotspot_share": 1.5}),
        ("hotspots", {"hotspots": (Hotspot(60.0, 25.0, 100.0, weight=0.0),)}),
        ("timezone", {"timezone": "Mars/Olympus_Mons"}),
    ],
)
def test_an_invalid_model_names_the_field(field: str, changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(field)}: "):
        CallModel(**{"calls_per_hour": 10.0, **changes})


@pytest.mark.parametrize(
    ("field", "changes"),
    [("radius_m", {"radius_m": 0.0}), ("weight", {"weight": -1.0}), ("lat", {"lat": 91.0})],
)
def test_an_invalid_hotspot_names_the_field(field: str, changes: dict[str, float]) -> None:
    values = {"lat": 60.0, "lon": 25.0, "radius_m": 100.0, **changes}
    with pytest.raises(ValueError, match=f"^{field}: "):
        Hotspot(values["lat"], values["lon"], values["radius_m"], values.get("weight", 1.0))


def test_a_call_needs_an_address() -> None:
    with pytest.raises(ValueError, match=r"^addresses: "):
        draw_call(CallModel(1.0), datetime(2026, 3, 3, tzinfo=UTC), [], np.random.default_rng(0))


def test_an_address_without_a_number_is_the_street() -> None:
    square = [AddressRecord("Senaatintori", None, 60.1695, 24.9525)]
    at = datetime(2026, 3, 3, tzinfo=UTC)
    call = draw_call(CallModel(1.0), at, square, np.random.default_rng())
    assert (call.address, call.lat, call.lon) == ("Senaatintori", 60.1695, 24.9525)
