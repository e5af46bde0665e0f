"""A synthetic metro-sized road network for routing benchmarks.

A square grid of blocks 100 m apart; every tenth street is a two-way arterial at
60 km/h, the others are 30 km/h local streets of which every other one is one-way
(alternating direction) and a few percent are missing, as in a real street plan.
"""

from __future__ import annotations

import numpy as np

from signalfire.geo.roads import RoadGraph

SPACING_M = 100.0
METRES_PER_DEGREE = 111_195.0


def build(
    side: int = 320, *, seed: int = 1, origin: tuple[float, float] = (60.1, 24.6)
) -> RoadGraph:
    """``side`` x ``side`` intersections (320 gives 102,400 nodes)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.divmod(np.arange(side * side), side)
    lat = origin[0] + rows * SPACING_M / METRES_PER_DEGREE
    lon = origin[1] + cols * SPACING_M / (METRES_PER_DEGREE * np.cos(np.radians(origin[0])))
    u_parts, v_parts, speed_parts = [], [], []
    for horizontal in (True, False):
        line = rows if horizontal else cols
        a = np.arange(side * side)
        a = a[(cols < side - 1)] if horizontal else a[(rows < side - 1)]
        b = a + 1 if horizontal else a + side
        line_of = line[a]
        arterial = line_of % 10 == 0
        keep = arterial | (rng.random(len(a)) > 0.03)
        a, b, arterial, line_of = a[keep], b[keep], arterial[keep], line_of[keep]
        one_way = ~arterial & (line_of % 2 == 1)
        forward = (line_of // 2) % 2 == 0
        speed = np.where(arterial, 60.0, 30.0)
        two = ~one_way
        u_parts += [a[two], b[two], a[one_way & forward], b[one_way & ~forward]]
        v_parts += [b[two], a[two], b[one_way & forward], a[one_way & ~forward]]
        speed_parts += [speed[two], speed[two], speed[one_way & forward], speed[one_way & ~forward]]
    u = np.concatenate(u_parts).astype(np.int64)
    v = np.concatenate(v_parts).astype(np.int64)
    speeds = np.concatenate(speed_parts)
    return RoadGraph(
        np.arange(side * side, dtype=np.int64),
        lat.astype(float),
        lon.astype(float),
        u,
        v,
        np.full(len(u), SPACING_M),
        speeds,
        [""] * len(u),
    )
