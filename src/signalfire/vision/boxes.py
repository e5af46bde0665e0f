"""Boxes in image pixels: one type, overlap, and one non-maximum suppression.

A box is ``(x1, y1, x2, y2)`` in image pixels, x growing to the right and y *down*.
A detector's findings on one picture are :data:`Boxes`: an N x 5 array, one box per
row followed by its score.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Box = tuple[float, float, float, float]
"""One box: ``(x1, y1, x2, y2)`` in image pixels."""

Boxes = NDArray[np.float32]
"""N x 5 array: x1, y1, x2, y2 (image pixels) and score, one box per row."""


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes.

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


def nms(
    boxes: NDArray[np.floating], scores: NDArray[np.floating], iou_threshold: float
) -> list[int]:
    """Indices of the boxes kept by greedy non-maximum suppression, best score first.

    Boxes (N x 4) are visited from the highest score down; each is kept unless its IoU
    with a box already kept is *greater than* ``iou_threshold``.

    Tie rules (those of OpenCV's ``cv2.dnn.NMSBoxes``): a box whose IoU with a kept box
    *equals* the threshold is kept, and of boxes with equal scores the one listed first
    is visited first. The arithmetic is done in the boxes' own dtype.

    Examples
    --------
    Two boxes overlapping by IoU 0.68 and one far away:

    >>> b = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    >>> nms(b, np.array([0.9, 0.8, 0.7], np.float32), 0.5)
    [0, 2]
    >>> nms(b, np.array([0.9, 0.8, 0.7], np.float32), 0.7)
    [0, 1, 2]

    An overlap of exactly the threshold is kept; equal scores keep their order:

    >>> half = np.array([[0, 0, 10, 10], [0, 0, 10, 5]], np.float32)  # IoU 0.5
    >>> nms(half, np.array([0.8, 0.8], np.float32), 0.5)
    [0, 1]
    >>> nms(half, np.array([0.8, 0.8], np.float32), 0.4)
    [0]
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
