"""Plane geometry for the rules: sides of a line, crossings, polygons, box anchors.

Points are ``(x, y)`` in image coordinates: x grows to the right, y grows *down*. Boxes,
their overlap and non-maximum suppression live in :mod:`signalfire.vision.boxes`.
"""

from __future__ import annotations

from collections.abc import Sequence

from signalfire.vision.boxes import Box

Point = tuple[float, float]


def cross(a: Point, b: Point, p: Point) -> float:
    """Cross product of ``b - a`` and ``p - a`` (twice the signed triangle area).

    Examples
    --------
    >>> cross((0.0, 0.0), (1.0, 0.0), (0.5, -1.0))
    -1.0
    >>> cross((0.0, 0.0), (1.0, 0.0), (0.5, 2.0))
    2.0
    """
    return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])


def line_side(a: Point, b: Point, p: Point) -> int:
    """Which side of the line from ``a`` to ``b`` the point ``p`` lies on, as seen on screen.

    Stand on ``a`` on the picture and look towards ``b``: ``-1`` is your left, ``+1`` your
    right, ``0`` on the line. With y pointing down this is the sign of :func:`cross`.

    Examples
    --------
    A line drawn left to right across the picture: "left" is above it.

    >>> line_side((0.0, 0.5), (1.0, 0.5), (0.3, 0.1))
    -1
    >>> line_side((0.0, 0.5), (1.0, 0.5), (0.3, 0.9))
    1

    A line drawn top to bottom: looking down the picture, "left" is the picture's right.

    >>> line_side((0.5, 0.0), (0.5, 1.0), (0.9, 0.5))
    -1
    >>> line_side((0.5, 0.0), (0.5, 1.0), (0.5, 0.7))
    0
    """
    c = cross(a, b, p)
    return -1 if c < 0 else (1 if c > 0 else 0)


def segments_intersect(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Whether the closed segments ``p1-p2`` and ``q1-q2`` share a point.

    Examples
    --------
    >>> segments_intersect((0, 0), (1, 1), (0, 1), (1, 0))
    True
    >>> segments_intersect((0, 0), (1, 0), (0, 1), (1, 1))
    False
    >>> segments_intersect((0, 0), (2, 0), (1, 0), (1, 5))
    True
    >>> segments_intersect((0, 0), (1, 0), (2, -1), (2, 1))
    False
    """
    d1 = cross(q1, q2, p1)
    d2 = cross(q1, q2, p2)
    d3 = cross(p1, p2, q1)
    d4 = cross(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return (
        (d1 == 0 and _on_segment(q1, q2, p1))
        or (d2 == 0 and _on_segment(q1, q2, p2))
        or (d3 == 0 and _on_segment(p1, p2, q1))
        or (d4 == 0 and _on_segment(p1, p2, q2))
    )


def _on_segment(a: Point, b: Point, p: Point) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def point_in_polygon(p: Point, polygon: Sequence[Point]) -> bool:
    """Whether ``p`` lies inside ``polygon`` (even-odd rule; points on an edge may go either way).

    Examples
    --------
    >>> square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
    >>> point_in_polygon((0.5, 0.5), square), point_in_polygon((1.5, 0.5), square)
    (True, False)
    >>> point_in_polygon((0.6, 0.1), [(0, 0), (1, 0), (0, 1)])
    True
    >>> point_in_polygon((0.9, 0.9), [(0, 0), (1, 0), (0, 1)])
    False
    """
    x, y = p
    inside = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            x_at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < x_at:
                inside = not inside
    return inside


def box_anchor(box: Box, anchor: str) -> Point:
    """The point of ``box`` that rules follow: its ``"center"`` or ``"bottom"`` centre.

    The bottom centre is where a person or vehicle touches the ground, which is what a
    line painted on the ground in the picture is crossed by.

    Examples
    --------
    >>> box_anchor((10, 20, 30, 60), "center"), box_anchor((10, 20, 30, 60), "bottom")
    ((20.0, 40.0), (20.0, 60.0))
    """
    cx = (box[0] + box[2]) / 2.0
    if anchor == "bottom":
        return (float(cx), float(box[3]))
    return (float(cx), (box[1] + box[3]) / 2.0)
