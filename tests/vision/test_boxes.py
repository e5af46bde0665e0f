"""The one non-maximum suppression and its tie rules, shared by video and redaction."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from signalfire.vision.boxes import Box, iou, nms

# Each case: boxes (x1, y1, x2, y2), scores, IoU threshold, indices kept (in order).
CASES: list[tuple[str, list[Box], list[float], float, list[int]]] = [
    ("nothing", [], [], 0.5, []),
    ("one box", [(0, 0, 10, 10)], [0.3], 0.5, [0]),
    ("best first", [(0, 0, 10, 10), (50, 50, 60, 60)], [0.2, 0.9], 0.5, [1, 0]),
    ("overlap above the threshold", [(0, 0, 10, 10), (1, 1, 11, 11)], [0.9, 0.8], 0.5, [0]),
    ("overlap below the threshold", [(0, 0, 10, 10), (1, 1, 11, 11)], [0.9, 0.8], 0.7, [0, 1]),
    # IoU exactly 0.5 (a box and its top half): kept, as cv2.dnn.NMSBoxes keeps it.
    ("overlap equal to the threshold", [(0, 0, 10, 10), (0, 0, 10, 5)], [0.9, 0.8], 0.5, [0, 1]),
    # Equal scores: the box listed first is visited first and suppresses the other.
    ("equal scores, first wins", [(1, 1, 11, 11), (0, 0, 10, 10)], [0.7, 0.7], 0.5, [0]),
    ("equal scores, reversed", [(0, 0, 10, 10), (1, 1, 11, 11)], [0.7, 0.7], 0.5, [0]),
    # A suppressed box suppresses nothing: the third overlaps only the second.
    (
        "chain",
        [(0, 0, 10, 10), (4, 0, 14, 10), (8, 0, 18, 10)],
        [0.9, 0.8, 0.7],
        0.3,
        [0, 2],
    ),
    ("empty boxes overlap nothing", [(5, 5, 5, 5), (5, 5, 5, 5)], [0.9, 0.8], 0.0, [0, 1]),
]


@pytest.mark.parametrize(
    ("boxes", "scores", "threshold", "kept"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nms(
    boxes: list[Box], scores: list[float], threshold: float, kept: list[int], dtype: type
) -> None:
    array: NDArray[np.floating] = np.array(boxes, dtype).reshape(-1, 4)
    assert nms(array, np.array(scores, dtype), threshold) == kept


def test_the_equal_overlap_in_the_table_is_exactly_the_threshold() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 5)) == 0.5
    assert iou((0, 0, 10, 10), (4, 0, 14, 10)) == pytest.approx(60 / 140)
