"""Plane geometry for the rules and detectors: sides of a line, crossings, polygons, IoU.

Points are ``(x, y)`` in image coordinates: x grows to the right, y grows *down*.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Point = tuple[float, float]
Box = tuple[float, float, float, float]


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


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``(x1, y1, x2, y2)`` boxes.

    Examples
    --------
    >>> iou((0, 0, 10, 10), (0, 0, 10, 10))
    1.0
    >>> iou((0, 0, 10, 10), (5, 0, 15, 10))  # overlap 50, union 150
    0.3333333333333333
    >>> iou((0, 0, 1, 1), (2, 2, 3, 3))
    0.0
    """
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def iou_matrix(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pairwise IoU of boxes ``a`` (N x 4) against ``b`` (M x 4), as an N x M array.

    Examples
    --------
    >>> m = iou_matrix(np.array([[0.0, 0, 10, 10]]), np.array([[0.0, 0, 10, 10], [5, 0, 15, 10]]))
    >>> m.round(3).tolist()
    [[1.0, 0.333]]
    """
    ix1 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy1 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix2 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    out: NDArray[np.float64] = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
    return out


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


def nms(boxes: NDArray[np.float32], scores: NDArray[np.float32], iou_threshold: float) -> list[int]:
    """Indices of the boxes kept by greedy non-maximum suppression, best first.

    Examples
    --------
    Two boxes overlapping by IoU 0.68 and one far away:

    >>> b = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    >>> nms(b, np.array([0.9, 0.8, 0.7], np.float32), 0.5)
    [0, 2]
    >>> nms(b, np.array([0.9, 0.8, 0.7], np.float32), 0.7)
    [0, 1, 2]
    """
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order.size:
        best = int(order[0])
        keep.append(best)
        rest = order[1:]
        ix1 = np.maximum(boxes[best, 0], boxes[rest, 0])
        iy1 = np.maximum(boxes[best, 1], boxes[rest, 1])
        ix2 = np.minimum(boxes[best, 2], boxes[rest, 2])
        iy2 = np.minimum(boxes[best, 3], boxes[rest, 3])
        inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
        overlap = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-9)
        order = rest[overlap <= iou_threshold]
    return keep


def nested(boxes: NDArray[np.float64], threshold: float = 0.6) -> list[int]:
    """Indices of boxes not mostly inside a larger one, largest first.

    A box is dropped when more than ``threshold`` of its own area lies inside a larger box
    already kept: a sliding-window detector often fires on part of an object as well as on
    the whole of it.

    Examples
    --------
    >>> nested(np.array([[10, 10, 20, 30], [0, 0, 40, 80], [100, 0, 120, 40]], float))
    [1, 2]
    """
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    for i in np.argsort(-areas, kind="stable"):
        index = int(i)
        inside = [
            _intersection(boxes[index], boxes[k]) / max(float(areas[index]), 1e-9) for k in keep
        ]
        if not inside or max(inside) <= threshold:
            keep.append(index)
    return keep


def _intersection(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    iw = max(0.0, float(min(a[2], b[2]) - max(a[0], b[0])))
    ih = max(0.0, float(min(a[3], b[3]) - max(a[1], b[1])))
    return iw * ih
