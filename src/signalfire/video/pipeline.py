"""One camera's analysis: motion gate → detector → tracker → rules → events.

:class:`Pipeline` takes decoded frames one at a time (see :mod:`signalfire.video.decode`)
and returns the events they raised. When the gate sees no motion and nothing is being
tracked the detector is skipped, which is what keeps idle cameras cheap; while objects are
tracked the detector still runs every ``motion.keepalive_s`` so someone standing still is
neither lost nor invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from signalfire.video.config import PipelineConfig
from signalfire.video.decode import Frame
from signalfire.video.detectors import Detection, Detector, build_detector
from signalfire.video.motion import MotionGate, MotionResult
from signalfire.video.rules import Direction, RuleEngine
from signalfire.video.tracking import Track, Tracker
from signalfire.vision.boxes import Box

EVENT_KINDS = (
    "line_crossing",
    "zone_enter",
    "zone_exit",
    "dwell",
    "crowding",
    "after_hours_motion",
)
"""Every ``Event.kind`` a pipeline can raise."""


@dataclass(slots=True)
class Event:
    """Something a rule saw happen in one frame.

    ``time`` is the frame's wall-clock time (``time.time()`` at decode), ``pts_s`` its stream
    time; ``boxes`` are ``(x1, y1, x2, y2)`` pixels; ``snapshot`` is the whole BGR frame,
    *not yet redacted*: faces must be blurred before it is stored or shown.
    """

    rule: str
    kind: str
    time: float
    track_id: int | None
    boxes: list[Box]
    detail: str
    direction: Direction | None = None
    class_name: str | None = None
    pts_s: float = 0.0
    snapshot: NDArray[np.uint8] | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class FrameStats:
    """What one :meth:`Pipeline.process` call did, for health pages and the benchmark."""

    motion_fraction: float
    moving: bool
    detector_ran: bool
    detections: int
    tracks: int
    events: int


class Pipeline:
    """The analysis of one camera's frames.

    Parameters
    ----------
    config
        The camera's settings.
    detector
        A detector to use instead of the one ``config.detector`` names (tests, shared models).
    """

    def __init__(self, config: PipelineConfig, *, detector: Detector | None = None) -> None:
        self.config = config
        motion = config.motion
        self.gate = MotionGate(
            width=motion.width,
            min_area=motion.min_area,
            history=motion.history,
            var_threshold=motion.var_threshold,
        )
        self.detector = detector or build_detector(config.detector, gate=self.gate)
        # Between keep-alive runs the tracker hears nothing; a still object must outlive them.
        lost_s = max(config.tracker.lost_s, 1.5 * motion.keepalive_s)
        tracking = config.tracker.model_copy(update={"lost_s": lost_s})
        self.tracker = Tracker(tracking, fps=config.fps)
        self.rules = RuleEngine(
            config.rules,
            anchor=config.anchor,
            lost_s=lost_s,
            timezone=config.timezone,
        )
        self.tracks: list[Track] = []
        self.stats: FrameStats | None = None
        self._last_detect: float | None = None

    def process(self, frame: Frame) -> list[Event]:
        """Analyse one frame and return the events it raised (after cool-downs)."""
        motion = self.gate.apply(frame.image)
        run = self._should_detect(motion, frame.pts_s)
        detections: list[Detection] = []
        if run:
            detections = self._filter(self.detector.detect(frame.image))
            self.tracks = self.tracker.update(detections, frame.pts_s)
            self._last_detect = frame.pts_s
        height, width = frame.image.shape[:2]
        hits = self.rules.evaluate(
            self.tracks,
            size=(width, height),
            time_s=frame.pts_s,
            wall_time=frame.wall_time,
            motion=motion,
        )
        events = [
            Event(
                rule=hit.rule,
                kind=hit.kind,
                time=frame.wall_time,
                track_id=hit.track_id,
                boxes=hit.boxes,
                detail=hit.detail,
                direction=hit.direction,
                class_name=hit.class_name,
                pts_s=frame.pts_s,
                snapshot=frame.image,
            )
            for hit in hits
        ]
        self.stats = FrameStats(
            motion_fraction=motion.fraction,
            moving=motion.moving,
            detector_ran=run,
            detections=len(detections),
            tracks=len(self.tracks),
            events=len(events),
        )
        return events

    def _should_detect(self, motion: MotionResult, time_s: float) -> bool:
        if motion.moving:
            return True
        if not self.tracks or self._last_detect is None:
            return False
        return time_s - self._last_detect >= self.config.motion.keepalive_s

    def _filter(self, detections: list[Detection]) -> list[Detection]:
        wanted = self.config.detector.classes
        floor = self.config.detector.confidence
        return [
            d for d in detections if d.score >= floor and (not wanted or d.class_name in wanted)
        ]

    @property
    def line_counts(self) -> dict[str, dict[Direction, int]]:
        """Crossings so far per line rule and direction."""
        return self.rules.line_counts
