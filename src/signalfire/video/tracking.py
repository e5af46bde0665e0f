"""Follow detections from frame to frame within one camera, with ByteTrack.

The tracker is Roboflow's ``trackers`` package (Apache-2.0, maintained, typed), whose
:class:`~trackers.ByteTrackTracker` matches boxes by Kalman-predicted position and overlap
only. Why this one: ``norfair`` pins ``numpy<2``, and ``supervision`` (which ``trackers``
builds on) dropped its own ByteTrack for this package. ``trackers`` declares a dependency on
the GUI build ``opencv-python``, which clashes with the headless OpenCV a server uses, so it
is installed with ``--no-deps`` (its real needs, ``supervision`` and ``scipy``, are ordinary
dependencies); ByteTrack itself never imports OpenCV.

Track ids are per camera and per pipeline run. Nothing here compares appearance, so an id
says "the same box moved", never "the same person": no re-identification within or across
cameras (the appearance-based trackers in the package, such as BoT-SORT's ReID, are not used).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import supervision as sv
from trackers import ByteTrackTracker

from signalfire.video.config import TrackerConfig
from signalfire.video.detectors import Detection
from signalfire.vision.boxes import Box


@dataclass(frozen=True, slots=True)
class Track:
    """A tracked object in the current frame."""

    track_id: int
    box: Box
    class_name: str
    score: float


class Tracker:
    """ByteTrack over :class:`Detection` values, fed with stream time in seconds."""

    def __init__(self, config: TrackerConfig, *, fps: float) -> None:
        self._tracker = ByteTrackTracker(
            lost_track_buffer=max(1, round(config.lost_s * 30)),
            frame_rate=fps,
            track_activation_threshold=min(config.high_score, 0.99),
            minimum_consecutive_frames=config.min_hits,
            minimum_iou_threshold=config.match_iou,
            high_conf_det_threshold=config.high_score,
        )
        self._class_ids: dict[str, int] = {}
        self._class_names: list[str] = []

    def update(self, detections: list[Detection], time_s: float) -> list[Track]:
        """The confirmed tracks after this frame's ``detections`` at stream time ``time_s``."""
        if detections:
            xyxy = np.array([d.box for d in detections], dtype=np.float32)
            batch = sv.Detections(
                xyxy=xyxy,
                confidence=np.array([d.score for d in detections], dtype=np.float32),
                class_id=np.array([self._class_id(d.class_name) for d in detections]),
            )
        else:
            batch = sv.Detections.empty()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # repeated timestamps skip a predict
            result = self._tracker.update(batch, timestamp=time_s)
        tracks: list[Track] = []
        if result.tracker_id is None or result.class_id is None or result.confidence is None:
            return tracks
        for box, track_id, class_id, score in zip(
            result.xyxy, result.tracker_id, result.class_id, result.confidence, strict=True
        ):
            if int(track_id) < 0:
                continue
            tracks.append(
                Track(
                    track_id=int(track_id),
                    box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
                    class_name=self._class_names[int(class_id)],
                    score=float(score),
                )
            )
        return tracks

    def _class_id(self, name: str) -> int:
        if name not in self._class_ids:
            self._class_ids[name] = len(self._class_names)
            self._class_names.append(name)
        return self._class_ids[name]
