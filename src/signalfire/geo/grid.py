"""A fixed grid over the globe, for finding stored points near a place with a plain index.

Each point falls in one cell of 0.01 degree of latitude by 0.02 degree of longitude
(about 1.1 km square at Helsinki's latitude). A table stores the cell beside the
coordinates and indexes it; a search around a place asks for the few cells that cover
its box, so the database reads only the rows of those cells instead of every row of a
wider range. The same arithmetic runs on SQLite and PostgreSQL, since it happens here.

The cell size is part of what is stored: changing it needs a migration that computes
every stored cell again (as 0010 did first).
"""

from __future__ import annotations

import math

CELL_LAT_DEG = 0.01
CELL_LON_DEG = 0.02
_COLUMNS = math.ceil(360 / CELL_LON_DEG) + 1  # every longitude column, both edges included


def _row(lat: float) -> int:
    return math.floor((lat + 90.0) / CELL_LAT_DEG)


def _column(lon: float) -> int:
    return math.floor((lon + 180.0) / CELL_LON_DEG)


def cell_of(lat: float, lon: float) -> int:
    """The grid cell holding a point, as one non-negative integer.

    Parameters
    ----------
    lat, lon
        Decimal degrees (latitude -90..90, longitude -180..180).

    Returns
    -------
    int
        ``row * columns + column``; below 2**31, so it fits an ``INTEGER`` column.

    Examples
    --------
    Two points 100 m apart in central Helsinki share a cell; one 2 km north does not:

    >>> cell_of(60.1705, 24.9414) == cell_of(60.1714, 24.9414)
    True
    >>> cell_of(60.1705, 24.9414) == cell_of(60.1885, 24.9414)
    False
    >>> cell_of(-90.0, -180.0), cell_of(90.0, 180.0) < 2**31
    (0, True)
    """
    return _row(lat) * _COLUMNS + _column(lon)


def cells_covering(lat_min: float, lat_max: float, lon_min: float, lon_max: float) -> list[int]:
    """Every cell that holds some point of a box, row by row.

    A point of the box lies in one of these cells, so a query that asks for them (and
    then for the box itself) finds exactly the points of the box. The box is clipped to
    the globe, not wrapped across the antimeridian. Near the poles a small box spans
    every longitude, thousands of cells: callers check how many they got.

    Examples
    --------
    A 1 km box in central Helsinki touches four cells:

    >>> len(cells_covering(60.1655, 60.1745, 24.9324, 24.9504))
    4
    >>> cells_covering(60.171, 60.172, 24.941, 24.942) == [cell_of(60.171, 24.941)]
    True
    >>> len(cells_covering(89.995, 90.5, -400.0, 400.0))  # two rows, every column
    36002
    """
    columns = range(_column(max(lon_min, -180.0)), _column(min(lon_max, 180.0)) + 1)
    rows = range(_row(max(lat_min, -90.0)), _row(min(lat_max, 90.0)) + 1)
    return [row * _COLUMNS + column for row in rows for column in columns]
