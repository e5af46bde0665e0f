"""Second step: what to hide on every frame, after the reviewer's edits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from signalfire.redaction.analysis import Analysis
from signalfire.redaction.manual import follow_boxes
from signalfire.redaction.options import Edits
from signalfire.redaction.tracks import masks_by_frame
from signalfire.vision.boxes import Box


@dataclass
class FramePlan:
    """Per frame: boxes to hide and whether the whole frame is hidden."""

    boxes: list[list[NDArray[np.float64]]]
    whole: list[bool]
    manual: list[dict[int, Box]] = field(default_factory=list)
    track_spans: dict[int, tuple[int, int]] = field(default_factory=dict)

    def at(self, index: int) -> tuple[list[NDArray[np.float64]], bool]:
        """Boxes to hide on frame ``index`` and whether to hide it whole."""
        if index >= len(self.boxes):
            return [], False
        return self.boxes[index], self.whole[index]

    def frames_masked(self) -> int:
        """How many frames have anything hidden."""
        return sum(1 for b, w in zip(self.boxes, self.whole, strict=True) if b or w)


def build_plan(
    analysis: Analysis, edits: Edits, grey_frames: Iterable[NDArray[np.uint8]] | None
) -> FramePlan:
    """Masks for every frame: kept tracks (with gaps filled and holds), manual boxes
    followed forward through ``grey_frames`` (needed only if there are any), whole
    frames."""
    count = analysis.frame_count
    kept = [t for t in analysis.tracks if t.track_id not in edits.removed_tracks]
    per_track = masks_by_frame(kept, count, hold=analysis.options.hold)
    boxes = [[box for _, box in frame] for frame in per_track]
    spans: dict[int, tuple[int, int]] = {}
    for index, frame in enumerate(per_track):
        for track_id, _ in frame:
            first, _last = spans.get(track_id, (index, index))
            spans[track_id] = (first, index)
    manual = follow_boxes(grey_frames or iter(()), edits.boxes) if edits.boxes else []
    for placed in manual:
        for index, box in placed.items():
            if index < count:
                boxes[index].append(np.asarray(box, np.float64))
    whole = [False] * count
    for span in edits.whole_frames:
        for index in range(span.start_frame, min(span.end_frame, count - 1) + 1):
            whole[index] = True
    return FramePlan(boxes, whole, manual, spans)
