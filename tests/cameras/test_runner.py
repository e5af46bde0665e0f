"""A camera runner on its own: back-off on a failing source, events with blurred pictures."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from signalfire.cameras.workers.messages import CameraJob, HealthReport, Message, RuleFiredReport
from signalfire.cameras.workers.privacy import FaceBlur
from signalfire.cameras.workers.runner import CameraRunner
from tests.cameras.media import astronaut_scene, decode_jpeg
from tests.cameras.scenes import UNREACHABLE, broken_video, crossing_video
from tests.cameras.support import LINE_RULE, wait_for


def job(source: str, tmp_path: Path, **extra: object) -> CameraJob:
    fields: dict[str, object] = {
        "camera_id": 1,
        "source": source,
        "analysis": {"fps": 10, "rules": [LINE_RULE]},
        "recording_mode": "off",
        "segment_seconds": 2,
        "segments_dir": str(tmp_path / "segments"),
        "realtime": False,
        "loop_files": False,
        "retry_initial_s": 0.1,
        "retry_max_s": 0.8,
        **extra,
    }
    return CameraJob(**fields)  # type: ignore[arg-type]


class Collector:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[Message] = []

    def __call__(self, message: Message) -> None:
        with self.lock:
            self.messages.append(message)

    def of(self, kind: type[Message]) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if isinstance(m, kind)]

    def health(self) -> list[HealthReport]:
        return [m for m in self.of(HealthReport) if isinstance(m, HealthReport)]

    def detections(self) -> list[RuleFiredReport]:
        return [m for m in self.of(RuleFiredReport) if isinstance(m, RuleFiredReport)]


def test_an_unreachable_source_is_retried_with_growing_waits(tmp_path: Path) -> None:
    sink = Collector()
    runner = CameraRunner(job(UNREACHABLE, tmp_path), sink, faces=FaceBlur(), worker="t")
    runner.start()
    try:
        wait_for(lambda: len(sink.of(HealthReport)) >= 6)
    finally:
        runner.stop()
    health = sink.health()
    assert {r.state for r in health} == {"offline"}
    assert all(r.error and "cannot open" in r.error for r in health)
    waits = [r.retry_in_s for r in health]
    assert waits[:5] == [0.1, 0.2, 0.4, 0.8, 0.8]
    assert [r.failures for r in health[:4]] == [1, 2, 3, 4]


def test_a_corrupt_file_is_offline_with_the_reason(tmp_path: Path) -> None:
    sink = Collector()
    runner = CameraRunner(
        job(str(broken_video(tmp_path)), tmp_path), sink, faces=FaceBlur(), worker="t"
    )
    runner.start()
    try:
        wait_for(lambda: sink.of(HealthReport))
    finally:
        runner.stop()
    first = sink.health()[0]
    assert first.state == "offline"
    assert first.error
    assert "broken.mp4" in first.error
    assert first.retry_in_s == 0.1


def test_events_carry_a_picture_with_the_face_blurred(tmp_path: Path) -> None:
    sink = Collector()
    runner = CameraRunner(
        job(str(crossing_video(tmp_path)), tmp_path), sink, faces=FaceBlur(), worker="t"
    )
    runner.start()
    try:
        wait_for(
            lambda: [
                h
                for h in sink.of(HealthReport)
                if isinstance(h, HealthReport) and h.error == "end of file"
            ]
        )
    finally:
        runner.stop()
    detections = [d for d in sink.of(RuleFiredReport) if isinstance(d, RuleFiredReport)]
    assert [(d.rule, d.kind) for d in detections] == [("gate", "line_crossing")]
    assert detections[0].boxes
    assert detections[0].boxes[0][1] > 350
    assert detections[0].jpeg is not None
    picture = decode_jpeg(detections[0].jpeg)
    original, (x1, y1, x2, y2) = astronaut_scene()
    face_change = np.abs(picture[y1:y2, x1:x2].astype(int) - original[y1:y2, x1:x2]).mean()
    elsewhere = np.abs(picture[:150, 350:].astype(int) - original[:150, 350:]).mean()
    assert face_change > 20, face_change
    assert elsewhere < 6, elsewhere


def test_a_camera_whose_recording_fails_is_degraded_while_its_analysis_runs(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the segments should go")
    sink = Collector()
    video = crossing_video(tmp_path)
    work = job(
        str(video), tmp_path, recording_mode="continuous", segments_dir=str(blocker), realtime=True
    )
    runner = CameraRunner(work, sink, faces=FaceBlur(), worker="t")
    runner.start()
    try:
        wait_for(lambda: any(h.state == "degraded" for h in sink.health()), timeout=30)
    finally:
        runner.stop()
    degraded = next(h for h in sink.health() if h.state == "degraded")
    assert degraded.error is not None
    assert degraded.error.startswith("recording: ")
    assert degraded.last_frame_at is not None
