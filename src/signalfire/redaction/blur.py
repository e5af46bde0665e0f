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


def _hidden(patch: NDArray[np.uint8], method: Method, fill: int = 0) -> NDArray[np.uint8]:
    """``patch`` (one plane or BGR) with nothing recognisable left."""
    h, w = patch.shape[:2]
    if method == "black":
        return np.full_like(patch, fill)
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


def _hide_box(
    image: NDArray[np.uint8],
    box: BoxLike,
    *,
    method: Method,
    margin: float,
    scale: float = 1.0,
    fill: int = 0,
) -> None:
    """Hide the ellipse around ``box`` (in full-frame pixels; ``scale`` maps them onto
    ``image``, 0.5 for a chroma plane) in place."""
    height, width = image.shape[:2]
    bx1, by1, bx2, by2 = (float(v) * scale for v in box[:4])
    dx, dy = (bx2 - bx1) * margin, (by2 - by1) * margin
    x1, y1, x2, y2 = expand((bx1, by1, bx2, by2), margin, width, height)
    if x2 <= x1 or y2 <= y1:
        return
    full = (int(bx1 - dx), int(by1 - dy), int(np.ceil(bx2 + dx)), int(np.ceil(by2 + dy)))
    mask = ellipse_mask((x1, y1, x2, y2), full)
    region = image[y1:y2, x1:x2]
    region[mask] = _hidden(region, method, fill)[mask]


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
    for box in boxes:
        _hide_box(out, box, method=method, margin=margin)
    return out


def yuv420_planes(
    buffer: NDArray[np.uint8],
) -> tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8]]:
    """Views of the Y, U and V planes of a packed yuv420p frame (height * 3/2 x width),
    as PyAV's ``to_ndarray(format="yuv420p")`` gives it."""
    height, width = buffer.shape[0] * 2 // 3, buffer.shape[1]
    flat = buffer.reshape(-1)
    y = flat[: height * width].reshape(height, width)
    quarter = (height // 2) * (width // 2)
    u = flat[height * width : height * width + quarter].reshape(height // 2, width // 2)
    v = flat[height * width + quarter : height * width + 2 * quarter].reshape(
        height // 2, width // 2
    )
    return y, u, v


def redact_yuv420(
    buffer: NDArray[np.uint8],
    boxes: Iterable[BoxLike],
    *,
    method: Method = "blur",
    margin: float = 0.2,
) -> NDArray[np.uint8]:
    """As :func:`redact_regions`, on a packed yuv420p frame, so a decoded video frame
    is masked without two colour conversions (black is Y 16, U and V 128).

    >>> frame = np.full((6, 4), 200, np.uint8)  # a 4 x 4 frame: Y rows, then U and V
    >>> out = redact_yuv420(frame, [(0, 0, 4, 4)], method="black", margin=0.5)
    >>> out[:4].tolist()[1], out[4:].tolist()
    ([16, 16, 16, 16], [[128, 128, 128, 128], [128, 128, 128, 128]])
    """
    out = buffer.copy()
    y, u, v = yuv420_planes(out)
    for box in boxes:
        _hide_box(y, box, method=method, margin=margin, fill=16)
        _hide_box(u, box, method=method, margin=margin, scale=0.5, fill=128)
        _hide_box(v, box, method=method, margin=margin, scale=0.5, fill=128)
    return out


def redact_whole(
    image: NDArray[np.uint8], *, method: Method = "blur", fill: int = 0
) -> NDArray[np.uint8]:
    """A copy of ``image`` hidden entirely (a whole-frame redaction edit)."""
    return _hidden(image, method, fill)
