"""Text regions (licence plates among them) on moving things, with the PP-OCRv4 text
detector that the ``rapidocr-onnxruntime`` package ships.

Only the ``.onnx`` file is read (the package itself wants the GUI build of OpenCV). The
detector is a DB network (Liao et al., 2020): a text-probability map, thresholded, each
connected region's score checked and its box grown back ("unclipped") by
area x 1.6 / perimeter. Text that stands still (shop signs, street names, captions) is
left alone: a box is kept only where the frame changed since the previous detection,
which is what a passing or parked-then-leaving vehicle's plate does.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from signalfire.redaction.errors import ModelMissing
from signalfire.redaction.faces import Scale
from signalfire.vision.boxes import Boxes
from signalfire.vision.providers import open_session

MAP_THRESHOLD = 0.3
BOX_THRESHOLD = 0.5
UNCLIP = 1.6
MOTION_LEVEL = 12  # grey-level change that counts as movement
MOTION_SHARE = 0.2  # share of a box that must have moved


def default_model_path() -> Path:
    """The PP-OCRv4 detection model inside the installed ``rapidocr-onnxruntime``."""
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    if spec is None or spec.origin is None:
        raise ModelMissing(
            "plate detection uses the text detector of 'rapidocr-onnxruntime'; install it "
            "with `pip install --no-deps rapidocr-onnxruntime`"
        )
    path = Path(spec.origin).parent / "models" / "ch_PP-OCRv4_det_infer.onnx"
    if not path.is_file():
        raise ModelMissing(f"no text detection model at {path}")
    return path


def text_boxes(probability: NDArray[np.float32], *, min_side: int = 3) -> Boxes:
    """Boxes (x1, y1, x2, y2, score) of the text regions in a DB probability map.

    >>> p = np.zeros((40, 80), np.float32); p[10:20, 10:60] = 0.9  # grown by 500*1.6/120
    >>> text_boxes(p).round().tolist()
    [[3.0, 3.0, 68.0, 28.0, 1.0]]
    """
    bitmap = (probability > MAP_THRESHOLD).astype(np.uint8)
    bitmap = np.asarray(cv2.dilate(bitmap, np.ones((2, 2), np.uint8)), np.uint8)
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    height, width = probability.shape
    found = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if min(w, h) < min_side:
            continue
        score = float(probability[y : y + h, x : x + w].mean())
        if score < BOX_THRESHOLD:
            continue
        area, perimeter = cv2.contourArea(contour), cv2.arcLength(contour, True)
        grow = area * UNCLIP / max(perimeter, 1.0)
        found.append(
            [
                max(0.0, x - grow),
                max(0.0, y - grow),
                min(float(width), x + w + grow),
                min(float(height), y + h + grow),
                min(score, 1.0),
            ]
        )
    return np.asarray(found, np.float32).reshape(-1, 5)


def moving(boxes: Boxes, grey: NDArray[np.uint8], previous: NDArray[np.uint8] | None) -> Boxes:
    """The boxes over which ``grey`` differs from ``previous`` (all when there is none).

    >>> a = np.zeros((20, 20), np.uint8); b = a.copy(); b[0:10, 0:10] = 200
    >>> boxes = np.array([[0, 0, 10, 10, 1], [10, 10, 20, 20, 1]], np.float32)
    >>> moving(boxes, b, a)[:, 0].tolist()
    [0.0]
    """
    if previous is None or not len(boxes):
        return boxes
    changed = cv2.absdiff(grey, previous) > MOTION_LEVEL
    keep = []
    for x1, y1, x2, y2, _ in boxes.astype(int):
        region = changed[y1:y2, x1:x2]
        keep.append(region.size > 0 and region.mean() >= MOTION_SHARE)
    kept: Boxes = boxes[np.asarray(keep, bool)]
    return kept


class TextDetector:
    """PP-OCRv4 text detection limited to moving regions (for licence plates).

    Called on the frames of one clip in order: it compares each frame with the one it
    saw before.
    """

    def __init__(self, model_path: Path | None = None, *, threads: int = 1) -> None:
        self.session = open_session(str(model_path or default_model_path()), threads=threads)
        self.input = self.session.get_inputs()[0].name
        self._previous: NDArray[np.uint8] | None = None

    def detect_rgb(
        self, image_rgb: NDArray[np.uint8], *, scale: Scale = None, threshold: float = 0.2
    ) -> Boxes:
        """Moving text regions of an RGB frame, in its pixels (``scale`` and
        ``threshold`` are the face detector's and are not used)."""
        height, width = image_rgb.shape[:2]
        net_w, net_h = (max(32, round(v / 32) * 32) for v in (width, height))
        bgr = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR)
        resized = cv2.resize(bgr, (net_w, net_h), interpolation=cv2.INTER_AREA)
        blob = (resized.astype(np.float32) / 255.0 - 0.5) / 0.5
        (probability,) = self.session.run(None, {self.input: blob.transpose(2, 0, 1)[None]})
        boxes = text_boxes(probability[0, 0])
        boxes[:, 0:4:2] *= width / net_w
        boxes[:, 1:4:2] *= height / net_h
        grey = np.asarray(cv2.cvtColor(image_rgb, cv2.COLOR_RGB2GRAY), np.uint8)
        found = moving(boxes, grey, self._previous)
        self._previous = grey
        return found
