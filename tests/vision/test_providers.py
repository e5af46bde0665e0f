"""One ONNX Runtime provider chooser for every detector: CUDA where present, else CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from signalfire.vision.providers import CPU, CUDA, choose_providers, open_session

CASES = [
    (None, [CUDA, CPU], [CUDA, CPU]),
    (None, [CPU], [CPU]),
    (None, ["TensorrtExecutionProvider", CUDA, CPU], [CUDA, CPU]),
    ([CPU], [CUDA, CPU], [CPU]),
    ([CUDA], [CPU], [CPU]),
    (["TensorrtExecutionProvider", CUDA, CPU], [CUDA, CPU], [CUDA, CPU]),
]


@pytest.mark.parametrize(("wanted", "available", "chosen"), CASES)
def test_choose_providers(
    wanted: list[str] | None, available: list[str], chosen: list[str]
) -> None:
    assert choose_providers(wanted, available=available) == chosen


def test_default_asks_this_onnx_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ort, "get_available_providers", lambda: [CUDA, CPU])
    assert choose_providers() == [CUDA, CPU]
    monkeypatch.setattr(ort, "get_available_providers", lambda: [CPU])
    assert choose_providers() == [CPU]


def _identity_model(path: Path) -> Path:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "id", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


@pytest.mark.parametrize("threads", [None, 1])
def test_open_session_runs_a_model_from_a_path_or_bytes(
    tmp_path: Path, threads: int | None
) -> None:
    path = _identity_model(tmp_path / "id.onnx")
    for model in (str(path), path.read_bytes()):
        session = open_session(model, threads=threads)
        assert session.get_providers()[-1] == CPU
        x = np.array([[1.0, 2.0]], np.float32)
        assert session.run(None, {"x": x})[0].tolist() == [[1.0, 2.0]]
