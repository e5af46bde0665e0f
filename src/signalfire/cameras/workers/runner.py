"""One camera's work inside a worker: decode → pipeline → reports, and recording.

A failing source never ends the work: it is reported ``offline`` with the error and
tried again after an exponential back-off. The analysis and the recording read the
source separately (the recorder copies packets, the analysis decodes a few frames a
second), so one can fail or lag without stopping the other.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from signalfire.cameras.recordings.segment_writer import record
from signalfire.cameras.registry.sources import is_stream
from signalfire.cameras.workers.backoff import Backoff
from signalfire.cameras.workers.messages import (
    CameraJob,
    HealthReport,
    Message,
    RuleFiredReport,
    SnapshotReport,
    State,
)
from signalfire.cameras.workers.privacy import FaceBlur
from signalfire.video.config import PipelineConfig
from signalfire.video.decode import Frame, SourceError, open_source
from signalfire.video.pipeline import Event as PipelineEvent
from signalfire.video.pipeline import Pipeline

log = logging.getLogger("signalfire.cameras")

Sink = Callable[[Message], None]

#: While online, health is re-sent this often (it carries the last frame time).
HEALTH_EVERY_S = 2.0
#: The analysis is "degraded" when it keeps up with less than this share of its frame rate.
DEGRADED_BELOW = 0.5


class CameraRunner:
    """Runs one camera's analysis (and recording) on threads until :meth:`stop`."""

    def __init__(self, job: CameraJob, sink: Sink, *, faces: FaceBlur, worker: str) -> None:
        self.job = job
        self.sink = sink
        self.faces = faces
        self.worker = worker
        self.config = PipelineConfig.model_validate(job.analysis)
        self.backoff = Backoff(job.retry_initial_s, job.retry_max_s)
        self._stop = threading.Event()
        self._recorder_error: str | None = None
        self._last_frame: float | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the analysis thread, and the recorder when the camera records."""
        targets = [self._analyse]
        if self.job.recording_mode != "off":
            targets.append(self._record)
        for target in targets:
            thread = threading.Thread(
                target=target, name=f"camera-{self.job.camera_id}-{target.__name__}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the threads to end and wait for them a little."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    @property
    def running(self) -> bool:
        """Whether any of the camera's threads is still working."""
        return any(t.is_alive() for t in self._threads)

    # -- analysis ---------------------------------------------------------------------

    def _analyse(self) -> None:
        file_source = not is_stream(self.job.source)
        while not self._stop.is_set():
            try:
                error = self._one_connection()
            except Exception as exc:  # a bug in a plug-in must not end the camera's work
                log.exception("camera analysis failed", extra={"camera": self.job.camera_id})
                error = f"analysis failed: {type(exc).__name__}: {exc}"
            if self._stop.is_set():
                return
            if error is None:  # a file ended
                if self.job.loop_files:
                    continue
                self._report("offline", "end of file", retry_in=None)
                return
            wait = self.backoff.next()
            if file_source and error == "no frames":
                error = "the file holds no decodable video"
            self._report("offline", error, retry_in=wait)
            self._stop.wait(wait)

    def _one_connection(self) -> str | None:
        """Analyse until the source ends (``None``) or fails (the error)."""
        job = self.job
        try:
            source = open_source(
                job.source,
                timeout_s=job.timeout_s,
                fps=self.config.fps,
                realtime=job.realtime and not is_stream(job.source),
            )
        except SourceError as exc:
            return str(exc)
        pipeline = Pipeline(self.config)
        frames, started, last_health, last_snapshot = 0, time.monotonic(), 0.0, 0.0
        try:
            for frame in source:
                if self._stop.is_set():
                    return None
                frames += 1
                self._last_frame = frame.wall_time
                if frames == 1:
                    self.backoff.reset()
                for event in pipeline.process(frame):
                    self.sink(self._rule_fired(event, frame))
                now = time.monotonic()
                if now - last_snapshot >= job.snapshot_interval_s:
                    last_snapshot = now
                    jpeg = self.faces.jpeg(frame.image)
                    self.sink(SnapshotReport(job.camera_id, jpeg, frame.wall_time))
                if frames == 1 or now - last_health >= HEALTH_EVERY_S:
                    last_health = now
                    self._report(*self._state(frames, now - started))
        except SourceError as exc:
            return str(exc)
        finally:
            source.close()
        return None if frames else "no frames"

    def _state(self, frames: int, elapsed: float) -> tuple[State, str | None]:
        """Online, or degraded with the reason."""
        if self._recorder_error:
            return "degraded", f"recording: {self._recorder_error}"
        expected = self.config.fps * elapsed
        if elapsed > 10 and is_stream(self.job.source) and frames < DEGRADED_BELOW * expected:
            return "degraded", f"analysing {frames / elapsed:.1f} of {self.config.fps:g} frames/s"
        return "online", None

    def _rule_fired(self, event: PipelineEvent, frame: Frame) -> RuleFiredReport:
        """The pipeline event as a worker message, its picture's faces blurred."""
        picture = event.snapshot if event.snapshot is not None else frame.image
        return RuleFiredReport(
            camera_id=self.job.camera_id,
            rule=event.rule,
            kind=event.kind,
            frame_time=frame.wall_time,
            pts_s=event.pts_s,
            track_id=event.track_id,
            boxes=[[float(v) for v in box[:4]] for box in event.boxes],
            direction=event.direction,
            detail=event.detail,
            jpeg=self.faces.jpeg(picture),
        )

    def _report(self, state: State, error: str | None, *, retry_in: float | None = None) -> None:
        self.sink(
            HealthReport(
                camera_id=self.job.camera_id,
                state=state,
                at=time.time(),
                last_frame_at=self._last_frame,
                error=error[:500] if error else None,
                failures=self.backoff.failures,
                retry_in_s=retry_in,
                worker=self.worker,
            )
        )

    # -- recording --------------------------------------------------------------------

    def _record(self) -> None:
        job = self.job
        backoff = Backoff(job.retry_initial_s, job.retry_max_s)
        while not self._stop.is_set():
            try:
                copied = record(
                    job.source,
                    camera_id=job.camera_id,
                    out_dir=Path(job.segments_dir),
                    segment_s=job.segment_seconds,
                    on_segment=self.sink,
                    stop=self._stop,
                    realtime=job.realtime and not is_stream(job.source),
                    timeout_s=job.timeout_s,
                )
                self._recorder_error = None if copied else "the source sent no video"
                if copied:
                    backoff.reset()
                if copied and not is_stream(job.source) and not job.loop_files:
                    return
            except Exception as exc:
                self._recorder_error = str(exc)[:300]
            if self._stop.is_set():
                return
            if self._recorder_error:
                self._stop.wait(backoff.next())
