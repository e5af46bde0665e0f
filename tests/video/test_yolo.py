"""YOLO output decoding, letterbox un-mapping and NMS, through ONNX Runtime, with tiny
models that the tests build themselves (the output is a constant plus 0 x the input)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from signalfire.video.config import DetectorConfig
from signalfire.video.detectors import build_detector
from signalfire.video.motion import MotionGate
from signalfire.video.yolo import YoloOnnx, decode_output, letterbox

CLASSES = ["person", "car"]
SIZE = 64

# Candidates in model-input pixels: centre x, centre y, width, height, objectness, scores.
CANDIDATES = np.array(
    [
        [20.0, 20.0, 10.0, 8.0, 0.9, 0.1, 0.8],  # car, 0.72
        [21.0, 20.0, 10.0, 8.0, 0.8, 0.1, 0.7],  # same car, 0.56: suppressed by NMS
        [20.0, 20.0, 10.0, 8.0, 0.9, 0.6, 0.1],  # a person in the same place, 0.54: kept
        [50.0, 40.0, 6.0, 6.0, 0.1, 0.9, 0.2],  # 0.09: below the confidence floor
    ],
    dtype=np.float32,
)


def v5_output() -> NDArray[np.float32]:
    return CANDIDATES[None]  # (1, N, 5 + C)


def v8_output() -> NDArray[np.float32]:
    scores = CANDIDATES[:, 5:] * CANDIDATES[:, 4:5]
    rows = np.concatenate([CANDIDATES[:, :4], scores], axis=1)
    return np.ascontiguousarray(rows.T[None])  # (1, 4 + C, N)


def constant_model(path: Path, output: NDArray[np.float32]) -> Path:
    """An ONNX model with a 1x3x64x64 image input whose output is ``output``."""
    image = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, SIZE, SIZE])
    result = helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output.shape))
    nodes = [
        helper.make_node("ReduceSum", ["images"], ["total"], keepdims=0),
        helper.make_node("Mul", ["total", "zero"], ["nothing"]),
        helper.make_node("Add", ["constant", "nothing"], ["output0"]),
    ]
    initializers = [
        numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
        numpy_helper.from_array(output, "constant"),
    ]
    graph = helper.make_graph(nodes, "yolo_stub", [image], [result], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


# A 128 x 96 picture goes into the 64 input at ratio 0.5 with 8 px of padding above and
# below, so input (x, y) is picture (2x, 2y - 16): the car at input (15..25, 16..24) is
# at picture (30..50, 16..32).
EXPECTED = [
    ("car", (30.0, 16.0, 50.0, 32.0), 0.72),
    ("person", (30.0, 16.0, 50.0, 32.0), 0.54),
]


@pytest.mark.parametrize(("layout", "make"), [("v5", v5_output), ("v8", v8_output)])
def test_model_output_is_decoded_unmapped_and_suppressed(
    tmp_path: Path, layout: str, make: Callable[[], NDArray[np.float32]]
) -> None:
    path = constant_model(tmp_path / f"{layout}.onnx", make())
    detector = YoloOnnx(path, CLASSES, confidence=0.25, iou_threshold=0.45)
    picture = np.full((96, 128, 3), 80, dtype=np.uint8)
    found = detector.detect(picture)
    got = [(d.class_name, tuple(round(v, 3) for v in d.box), round(d.score, 3)) for d in found]
    assert got == EXPECTED


def test_explicit_layout_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "v5.onnx", v5_output())
    detector = YoloOnnx(path, CLASSES, layout="v8")
    with pytest.raises(ValueError, match=r"does not fit layout v8 with 2 classes"):
        detector.detect(np.zeros((96, 128, 3), np.uint8))


def test_class_list_that_does_not_fit_the_output_is_refused() -> None:
    with pytest.raises(ValueError, match=r"matches neither YOLO v5 \(1, N, 8\)"):
        decode_output(v5_output(), 3)


def test_letterbox_centres_the_picture_on_grey() -> None:
    picture = np.full((96, 128, 3), 200, dtype=np.uint8)
    boxed, params = letterbox(picture, SIZE)
    assert boxed.shape == (SIZE, SIZE, 3)
    assert (params.ratio, params.pad_x, params.pad_y) == (0.5, 0.0, 8.0)
    assert np.all(boxed[:8] == 114)
    assert np.all(boxed[56:] == 114)
    assert np.all(boxed[8:56] == 200)


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"YOLO model .*nope\.onnx does not exist"):
        YoloOnnx(tmp_path / "nope.onnx", CLASSES)


def test_model_that_is_not_onnx_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.onnx"
    bogus.write_bytes(b"not a model")
    with pytest.raises(ValueError, match=r"bogus\.onnx cannot be loaded"):
        YoloOnnx(bogus, CLASSES)


def test_config_builds_the_operators_model(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "v8.onnx", v8_output())
    config = DetectorConfig(kind="yolo", model_path=str(path), class_names=CLASSES, confidence=0.6)
    detector = build_detector(config, gate=MotionGate())
    assert isinstance(detector, YoloOnnx)
    assert detector.input_size == SIZE
    assert [d.class_name for d in detector.detect(np.zeros((96, 128, 3), np.uint8))] == ["car"]


def test_yolo_config_needs_model_and_classes() -> None:
    with pytest.raises(ValueError, match="needs model_path and class_names"):
        DetectorConfig(kind="yolo", model_path="/models/x.onnx")
