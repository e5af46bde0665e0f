"""Run an operator's YOLO-format ONNX model with ONNX Runtime.

Supported output layouts (batch of one):

``v5``
    ``(1, N, 5 + C)``: centre x, centre y, width, height, objectness, then C class scores;
    a box scores ``objectness * class score``.
``v8`` (also YOLO11)
    ``(1, 4 + C, N)``: centre x, centre y, width, height, then C class scores; no objectness.

``layout="auto"`` tells them apart by which axis has ``4 + C`` or ``5 + C`` entries for the
``C`` class names given. The picture is letterboxed to the model's square input (grey
padding 114, as the YOLO tools train with), boxes are mapped back to the original picture,
and overlapping boxes of one class are thinned by non-maximum suppression.

ONNX Runtime uses the CUDA provider when the installed build offers it, else the CPU
(:func:`signalfire.vision.providers.choose_providers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from signalfire.video.detectors import Detection
from signalfire.vision.boxes import nms
from signalfire.vision.providers import open_session

Layout = Literal["auto", "v5", "v8"]


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How a picture was fitted into the model input: ``ratio`` then ``pad_x``/``pad_y``."""

    ratio: float
    pad_x: float
    pad_y: float

    def to_image(self, boxes: NDArray[np.float32], width: int, height: int) -> NDArray[np.float32]:
        """Map ``(x1, y1, x2, y2)`` boxes from model input pixels back to the picture.

        Examples
        --------
        A 1280 x 720 picture in a 640 input: ratio 0.5, 140 px of padding above and below.

        >>> lb = letterbox_params(1280, 720, 640)
        >>> lb
        Letterbox(ratio=0.5, pad_x=0.0, pad_y=140.0)
        >>> lb.to_image(np.array([[100, 140, 300, 500]], np.float32), 1280, 720).tolist()
        [[200.0, 0.0, 600.0, 720.0]]
        """
        out = boxes.copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_x) / self.ratio
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_y) / self.ratio
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, width)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, height)
        return out


def letterbox_params(width: int, height: int, size: int) -> Letterbox:
    """Scale and padding that fit a ``width`` x ``height`` picture into ``size`` x ``size``.

    Examples
    --------
    >>> letterbox_params(640, 480, 320)
    Letterbox(ratio=0.5, pad_x=0.0, pad_y=40.0)
    >>> letterbox_params(100, 400, 200)
    Letterbox(ratio=0.5, pad_x=75.0, pad_y=0.0)
    """
    ratio = min(size / width, size / height)
    new_w, new_h = round(width * ratio), round(height * ratio)
    return Letterbox(ratio=ratio, pad_x=(size - new_w) / 2, pad_y=(size - new_h) / 2)


def letterbox(image: NDArray[np.uint8], size: int) -> tuple[NDArray[np.uint8], Letterbox]:
    """``image`` scaled to fit ``size`` x ``size``, centred on grey (114) padding."""
    height, width = image.shape[:2]
    params = letterbox_params(width, height, size)
    new_w, new_h = round(width * params.ratio), round(height * params.ratio)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((size, size, 3), 114, dtype=np.uint8)
    top, left = round(params.pad_y - 0.1), round(params.pad_x - 0.1)
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas, params


def decode_output(
    output: NDArray[np.float32], num_classes: int, layout: Layout = "auto"
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.int64]]:
    """Boxes ``(x1, y1, x2, y2)`` in input pixels, scores and class ids from a raw output.

    Examples
    --------
    One v8 candidate (2 classes): centre (50, 40), 20 x 10, class 1 at 0.9.

    >>> raw = np.array([[[50.0], [40.0], [20.0], [10.0], [0.1], [0.9]]], np.float32)
    >>> boxes, scores, classes = decode_output(raw, 2)
    >>> boxes.tolist(), [round(float(s), 2) for s in scores], classes.tolist()
    ([[40.0, 35.0, 60.0, 45.0]], [0.9], [1])
    """
    layout = detect_layout(output.shape, num_classes) if layout == "auto" else layout
    rows = output[0].T if layout == "v8" else output[0]
    expected = 4 + num_classes + (1 if layout == "v5" else 0)
    if rows.ndim != 2 or rows.shape[1] != expected:
        raise ValueError(
            f"model output {tuple(output.shape)} does not fit layout {layout} with "
            f"{num_classes} classes (expected {expected} values per box)"
        )
    class_scores = rows[:, 5:] * rows[:, 4:5] if layout == "v5" else rows[:, 4:]
    classes = np.argmax(class_scores, axis=1)
    scores = class_scores[np.arange(len(rows)), classes].astype(np.float32)
    cx, cy, w, h = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float32)
    return boxes, scores, classes.astype(np.int64)


def detect_layout(shape: Sequence[int], num_classes: int) -> Literal["v5", "v8"]:
    """Which layout an output of ``shape`` has for ``num_classes`` classes.

    Examples
    --------
    >>> detect_layout((1, 25200, 85), 80), detect_layout((1, 84, 8400), 80)
    ('v5', 'v8')
    """
    if len(shape) != 3 or shape[0] != 1:
        raise ValueError(f"model output {tuple(shape)} is not (1, rows, columns)")
    if shape[1] == 4 + num_classes and shape[2] != 5 + num_classes:
        return "v8"
    if shape[2] == 5 + num_classes:
        return "v5"
    raise ValueError(
        f"model output {tuple(shape)} matches neither YOLO v5 (1, N, {5 + num_classes}) nor "
        f"v8/v11 (1, {4 + num_classes}, N) for the {num_classes} class names given"
    )


class YoloOnnx:
    """A YOLO-format ONNX detector.

    Parameters
    ----------
    model_path
        The ``.onnx`` file.
    class_names
        The model's classes in training order (``["person", "bicycle", ...]``).
    confidence
        Lowest score kept.
    iou_threshold
        Boxes of one class overlapping more than this are merged by NMS.
    layout
        ``"v5"``, ``"v8"`` (also YOLO11) or ``"auto"``.
    """

    def __init__(
        self,
        model_path: str | Path,
        class_names: Sequence[str],
        *,
        confidence: float = 0.25,
        iou_threshold: float = 0.45,
        layout: Layout = "auto",
    ) -> None:
        if not class_names:
            raise ValueError("a YOLO detector needs its list of class names")
        path = Path(model_path)
        if not path.is_file():
            raise ValueError(f"YOLO model {path} does not exist")
        try:
            self._session = open_session(str(path))
        except Exception as exc:  # ONNX Runtime raises its own untyped errors
            raise ValueError(f"YOLO model {path} cannot be loaded: {exc}") from exc
        model_input = self._session.get_inputs()[0]
        self._input_name = model_input.name
        side = model_input.shape[-1]
        self.input_size = side if isinstance(side, int) and side > 0 else 640
        self.class_names = list(class_names)
        self.confidence = confidence
        self.iou_threshold = iou_threshold
        self.layout: Layout = layout

    def detect(self, image: NDArray[np.uint8]) -> list[Detection]:
        """Objects in a BGR picture, after letterbox un-mapping and per-class NMS."""
        height, width = image.shape[:2]
        boxed, params = letterbox(image, self.input_size)
        blob = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[None]
        tensor = np.ascontiguousarray(blob, dtype=np.float32) / 255.0
        output = np.asarray(self._session.run(None, {self._input_name: tensor})[0], np.float32)
        return self.postprocess(output, params, width, height)

    def postprocess(
        self, output: NDArray[np.float32], params: Letterbox, width: int, height: int
    ) -> list[Detection]:
        """Detections from a raw model output for a picture of ``width`` x ``height``."""
        boxes, scores, classes = decode_output(output, len(self.class_names), self.layout)
        keep = scores >= self.confidence
        boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
        if not len(boxes):
            return []
        boxes = params.to_image(boxes, width, height)
        # One NMS for all classes: shift each class's boxes far apart so they never overlap.
        offset = classes[:, None].astype(np.float32) * float(max(width, height) + 1)
        kept = nms(boxes + offset, scores, self.iou_threshold)
        return [
            Detection(
                box=(
                    float(boxes[i, 0]),
                    float(boxes[i, 1]),
                    float(boxes[i, 2]),
                    float(boxes[i, 3]),
                ),
                score=float(scores[i]),
                class_name=self.class_names[int(classes[i])],
            )
            for i in kept
        ]
