"""Detector plug-ins: one small interface, chosen per camera in its pipeline config.

A detector turns a BGR picture into :class:`Detection` values: a box, a score and a class
name, and nothing else. The interface has no place for a face or body descriptor, an
embedding or an identity, and none of the built-ins computes one: Signalfire detects *that*
something happens, never *who* is there (no recognition, no re-identification across
cameras, no watch lists). The face detector used to blur snapshots lives in
:mod:`signalfire.redaction` and is not an analytics plug-in.

Built in, all offline:

``motion``
    The motion gate's moving regions, as class ``"motion"``.
``hog_person``
    OpenCV's HOG + linear SVM people detector (Dalal & Triggs), a stop-gap that needs no
    model file. OpenCV 5 moved it out of the main modules, hence the contrib build.
``yolo``
    An operator's own YOLO-format ONNX model (v5, v8 or v11 output layout) with their class
    list, run by ONNX Runtime (see :mod:`signalfire.video.yolo`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from signalfire.video.motion import MotionGate
from signalfire.vision.boxes import Box, nested

if TYPE_CHECKING:
    from signalfire.video.config import DetectorConfig


@dataclass(frozen=True, slots=True)
class Detection:
    """One detected object: ``box`` is ``(x1, y1, x2, y2)`` in pixels, ``score`` in 0..1."""

    box: Box
    score: float
    class_name: str


class Detector(Protocol):
    """What every detector plug-in offers."""

    def detect(self, image: NDArray[np.uint8]) -> list[Detection]:
        """Objects in a BGR ``image``."""
        ...


class MotionRegions:
    """The moving regions that the motion gate found in the same frame."""

    def __init__(self, gate: MotionGate) -> None:
        self._gate = gate

    def detect(self, image: NDArray[np.uint8]) -> list[Detection]:
        """Regions of the gate's last result (run the gate on ``image`` first)."""
        last = self._gate.last
        if last is None:
            return []
        return [Detection(box=box, score=1.0, class_name="motion") for box in last.regions]


class HogPerson:
    """OpenCV's default HOG people detector, on a copy at most ``width`` pixels wide.

    The SVM margin ``w`` of each window becomes a score ``1 / (1 + exp(-w))``, so a window on
    the decision boundary scores 0.5.
    """

    def __init__(self, *, width: int = 640, min_score: float = 0.5) -> None:
        self.width = width
        self.min_score = min_score
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(np.array(cv2.HOGDescriptor.getDefaultPeopleDetector(), np.float32))

    def detect(self, image: NDArray[np.uint8]) -> list[Detection]:
        """People standing upright, at least 128 px tall in the shrunk copy."""
        height, width = image.shape[:2]
        scale = width / self.width if width > self.width else 1.0
        small = (
            cv2.resize(image, (round(width / scale), round(height / scale)))
            if scale != 1.0
            else image
        )
        rects, weights = self._hog.detectMultiScale(
            small, winStride=(8, 8), padding=(8, 8), scale=1.05
        )
        if len(rects) == 0:
            return []
        boxes = np.array(rects, dtype=np.float64)
        boxes[:, 2:] += boxes[:, :2]
        boxes = np.minimum(boxes * scale, [width, height, width, height])
        margins = np.ravel(weights).astype(np.float64)
        found: list[Detection] = []
        for i in nested(boxes):
            # Windows on part of a person are dropped in favour of the whole-body window.
            score = 1.0 / (1.0 + math.exp(-float(margins[i])))
            if score >= self.min_score:
                x1, y1, x2, y2 = (float(v) for v in boxes[i])
                found.append(Detection(box=(x1, y1, x2, y2), score=score, class_name="person"))
        return found


def build_detector(config: DetectorConfig, *, gate: MotionGate) -> Detector:
    """The detector that ``config`` names (``gate`` feeds the ``motion`` detector)."""
    if config.kind == "motion":
        return MotionRegions(gate)
    if config.kind == "hog_person":
        return HogPerson(min_score=config.confidence)
    from signalfire.video.yolo import YoloOnnx

    if config.model_path is None:
        raise ValueError("detector 'yolo' needs model_path")
    return YoloOnnx(
        config.model_path,
        config.class_names,
        confidence=config.confidence,
        iou_threshold=config.iou_threshold,
        layout=config.layout,
    )
