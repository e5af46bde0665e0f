"""The grid that indexes incidents by place: every point of a box lies in a covering cell."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalfire.geo.distance import degrees_box
from signalfire.geo.grid import CELL_LAT_DEG, CELL_LON_DEG, cell_of, cells_covering

latitudes = st.floats(-89.0, 89.0)
longitudes = st.floats(-179.0, 179.0)
fractions = st.floats(0.0, 1.0)


@given(latitudes, longitudes, st.floats(1.0, 5000.0), fractions, fractions)
def test_every_point_of_a_box_lies_in_one_of_its_cells(
    lat: float, lon: float, radius_m: float, up: float, across: float
) -> None:
    dlat, dlon = degrees_box(lat, radius_m)
    box = (lat - dlat, lat + dlat, max(lon - dlon, -180.0), min(lon + dlon, 180.0))
    point_lat = box[0] + up * (box[1] - box[0])
    point_lon = box[2] + across * (box[3] - box[2])
    assert cell_of(point_lat, point_lon) in cells_covering(*box)


@given(latitudes, longitudes)
def test_a_point_is_in_the_cell_of_its_own_tiny_box(lat: float, lon: float) -> None:
    assert cells_covering(lat, lat, lon, lon) == [cell_of(lat, lon)]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ((60.1700, 24.9400), (60.1700 + CELL_LAT_DEG, 24.9400), False),  # next row
        ((60.1700, 24.9400), (60.1700, 24.9400 + CELL_LON_DEG), False),  # next column
        ((60.17001, 24.94001), (60.17999, 24.95999), True),  # corners of one cell
        ((0.0, 0.0), (-0.000001, 0.0), False),  # the equator is a row boundary
    ],
)
def test_neighbouring_cells_differ(
    a: tuple[float, float], b: tuple[float, float], same: bool
) -> None:
    assert (cell_of(*a) == cell_of(*b)) is same


def test_distinct_cells_have_distinct_numbers() -> None:
    rows = [-89.995, -0.005, 0.005, 60.175, 89.995]
    columns = [-179.99, -0.01, 0.01, 24.95, 179.99]
    cells = {cell_of(lat, lon) for lat in rows for lon in columns}
    assert len(cells) == len(rows) * len(columns)
    assert all(0 <= cell < 2**31 for cell in cells)
