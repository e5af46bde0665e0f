"""ONNX Runtime: which execution providers to use, and opening a model with them.

CUDA is used where the installed ONNX Runtime build offers it, else the CPU. Video
detectors (YOLO) and redaction detectors (CenterFace, the PP-OCR text detector) all
open their models here.
"""

from __future__ import annotations

from collections.abc import Sequence

import onnxruntime as ort

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


def choose_providers(
    wanted: Sequence[str] | None = None, *, available: Sequence[str] | None = None
) -> list[str]:
    """The providers of ``wanted`` (by default CUDA, then the CPU) that ONNX Runtime
    offers, in that order; the CPU alone when it offers none of them.

    ``available`` defaults to :func:`onnxruntime.get_available_providers`.

    Examples
    --------
    >>> choose_providers(available=["CUDAExecutionProvider", "CPUExecutionProvider"])
    ['CUDAExecutionProvider', 'CPUExecutionProvider']
    >>> choose_providers(available=["CPUExecutionProvider"])
    ['CPUExecutionProvider']
    >>> choose_providers(["TensorrtExecutionProvider"], available=["CPUExecutionProvider"])
    ['CPUExecutionProvider']
    """
    offered = ort.get_available_providers() if available is None else available
    order = wanted or (CUDA, CPU)
    return [p for p in order if p in offered] or [CPU]


def open_session(
    model: str | bytes,
    *,
    threads: int | None = None,
    providers: Sequence[str] | None = None,
) -> ort.InferenceSession:
    """An inference session for ``model`` (a path or the serialized model) on
    :func:`choose_providers` ``(providers)``.

    With ``threads`` the CPU provider runs that many intra-op threads (0: ONNX Runtime
    decides) without spinning, and only errors are logged: one thread leaves the other
    cores to decoding and encoding. Without it ONNX Runtime's defaults apply.
    """
    options: ort.SessionOptions | None = None
    if threads is not None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
    return ort.InferenceSession(model, sess_options=options, providers=choose_providers(providers))
