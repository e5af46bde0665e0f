"""Vision basics shared by video analytics and redaction (no web, no database).

:mod:`~signalfire.vision.boxes` holds the one box type, overlap measures and the one
non-maximum suppression; :mod:`~signalfire.vision.providers` picks ONNX Runtime's
execution providers (CUDA where present, else the CPU) and opens model sessions.
"""
