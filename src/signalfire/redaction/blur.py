"""Hide image regions: blur, pixelate or black out an ellipse around each box."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

Method = Literal["blur", "pixelate", "black"]
BoxLike = Sequence[float] | NDArray[np.floating]


def expand(box: BoxLike, margin: float, width: int, height: int) -> tuple[int, int, int, int]:
    """``box`` grown by ``margin`` of its size on every side, clipped to the image.

    >>> expand((10, 10, 20, 30), 0.5, 100, 100)
    (5, 0, 25, 40)
    >>> expand((90, 90, 99, 99), 0.2, 100, 100)
    (88, 88, 100, 100)
    """
    x1, y1, x2, y2 = (float(v) for v in box[:4])
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    return (
        max(0, int(np.floor(x1 - dx))),
        max(0, int(np.floor(y1 - dy))),
        min(width, int(np.ceil(x2 + dx))),
        min(height, int(np.ceil(y2 + dy))),
    )


def ellipse_mask(
    box: tuple[int, int, int, int], full: tuple[int, int, int, int]
) -> NDArray[np.bool_]:
    """Mask of the ellipse inscribed in ``full`` (unclipped), cut to ``box``.

    >>> ellipse_mask((0, 0, 5, 5), (0, 0, 5, 5)).astype(int).sum(axis=0).tolist()
    [3, 5, 5, 5, 3]
    """
    x1, y1, x2, y2 = box
    fx1, fy1, fx2, fy2 = full
    ys, xs = np.ogrid[y1:y2, x1:x2]
    cx, cy = (fx1 + fx2) / 2, (fy1 + fy2) / 2
    rx, ry = max((fx2 - fx1) / 2, 0.5), max((fy2 - fy1) / 2, 0.5)
    inside: NDArray[np.bool_] = ((xs + 0.5 - cx) / rx) ** 2 + ((ys + 0.5 - cy) / ry) ** 2 <= 1.0
    return inside


def _hidden(patch: NDArray[np.uint8], method: Method) -> NDArray[np.uint8]:
    """``patch`` with nothing recognisable left."""
    h, w = patch.shape[:2]
    if method == "black":
        return np.zeros_like(patch)
    if method == "pixelate":
        cells = max(1, min(w, h) // 10)
        small = cv2.resize(
            patch, (max(1, w // cells), max(1, h // cells)), interpolation=cv2.INTER_AREA
        )
        return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST), np.uint8)
    # Blur: shrink to at most 6 px across (all detail gone), smooth back up, then box-
    # blur away the bilinear seams. Much cheaper than a kernel the size of the face.
    small = cv2.resize(patch, (max(1, min(w, 6)), max(1, min(h, 6))), interpolation=cv2.INTER_AREA)
    up = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    k = max(3, (min(w, h) // 4) | 1)
    return np.asarray(cv2.blur(up, (k, k)), np.uint8)


def redact_regions(
    image: NDArray[np.uint8],
    boxes: Iterable[BoxLike],
    *,
    method: Method = "blur",
    margin: float = 0.2,
) -> NDArray[np.uint8]:
    """A copy of ``image`` with an ellipse around each box hidden.

    Each box (x1, y1, x2, y2, ...) is grown by ``margin`` of its width and height on
    every side; the ellipse inscribed in the grown box is blurred, pixelated or black.

    >>> img = np.full((40, 40, 3), 200, np.uint8)
    >>> out = redact_regions(img, [(10, 10, 30, 30)], method="black", margin=0.0)
    >>> int(out[20, 20, 0]), int(out[11, 11, 0]), int(img[20, 20, 0])
    (0, 200, 200)
    """
    out = image.copy()
    height, width = image.shape[:2]
    for box in boxes:
        x1, y1, x2, y2 = expand(box, margin, width, height)
        if x2 <= x1 or y2 <= y1:
            continue
        bx1, by1, bx2, by2 = (float(v) for v in box[:4])
        dx, dy = (bx2 - bx1) * margin, (by2 - by1) * margin
        full = (int(bx1 - dx), int(by1 - dy), int(np.ceil(bx2 + dx)), int(np.ceil(by2 + dy)))
        mask = ellipse_mask((x1, y1, x2, y2), full)
        region = out[y1:y2, x1:x2]
        region[mask] = _hidden(region, method)[mask]
    return out


def redact_whole(image: NDArray[np.uint8], *, method: Method = "blur") -> NDArray[np.uint8]:
    """A copy of ``image`` hidden entirely (a whole-frame redaction edit)."""
    return _hidden(image, method)
