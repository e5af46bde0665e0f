"""Analysis and rendering at the same time: the render follows the analysis a fixed
number of frames behind, so detection runs on one core while decoding, masking and
encoding run on another.

The look-ahead is what makes this exact: a mask on frame ``i`` depends only on
detections up to ``i + max_gap + hold + window`` frames later (a gap is bridged only
up to ``max_gap`` frames, a mask is held ``hold`` frames before a first detection, and
its size is steadied over ``window`` frames), so once the analysis is that far ahead,
frame ``i`` gets the same masks as the two-pass :func:`~signalfire.redaction.plan.build_plan`
would give it. Used when there are no edits that need the whole analysis first (removed
tracks name final track numbers; manual boxes need a pass of their own).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from signalfire.redaction.analysis import Analysis, Detector, Progress, analyse
from signalfire.redaction.options import Edits, RedactionOptions
from signalfire.redaction.tracks import WINDOW, Track, masks_at


class Stopped(Exception):
    """The render side gave up; the analysis stops too."""


@dataclass
class LiveAnalysis:
    """An analysis running in a worker thread, watched by the render."""

    path: Path
    options: RedactionOptions
    faces: Detector
    plates: Detector | None
    progress: Progress | None
    frames: int = 0
    tracks: list[Track] = field(default_factory=list)
    result: Analysis | None = None
    error: BaseException | None = None
    stop: bool = False
    changed: threading.Condition = field(default_factory=threading.Condition)

    def start(self) -> threading.Thread:
        """Run the analysis in a new thread."""
        thread = threading.Thread(target=self._run, name="redaction-analysis", daemon=True)
        thread.start()
        return thread

    def _run(self) -> None:
        try:
            result = analyse(
                self.path,
                options=self.options,
                faces=self.faces,
                plates=self.plates,
                progress=self.progress,
                on_frame=self._seen,
            )
        except BaseException as error:  # handed to the render thread
            with self.changed:
                self.error = error
                self.changed.notify_all()
            return
        with self.changed:
            self.result = result
            self.changed.notify_all()

    def _seen(self, frames: int, tracks: list[Track]) -> None:
        with self.changed:
            if self.stop:
                raise Stopped
            self.frames, self.tracks = frames, tracks
            self.changed.notify_all()

    def lead(self) -> int:
        """Frames the analysis must be ahead of a frame before it is drawn."""
        o = self.options
        return o.max_gap + o.hold + WINDOW + 2 * o.detect_every + 2

    def wait_for(self, index: int) -> tuple[list[Track], int]:
        """The tracks once they are final for frame ``index``, and the frames known."""
        with self.changed:
            while True:
                if self.error is not None:
                    raise self.error
                if self.result is not None:
                    return self.result.tracks, self.result.frame_count
                if self.frames > index + self.lead():
                    return list(self.tracks), self.frames
                self.changed.wait()


@dataclass
class LiveMasks:
    """Masks for the render, frame by frame, from a :class:`LiveAnalysis`."""

    live: LiveAnalysis
    edits: Edits

    def at(self, index: int) -> tuple[list[NDArray[np.float64]], bool]:
        """Boxes to hide on frame ``index`` and whether to hide it whole."""
        tracks, known = self.live.wait_for(index)
        whole = any(r.start_frame <= index <= r.end_frame for r in self.edits.whole_frames)
        hold = self.live.options.hold
        boxes = [box for _, box in masks_at(tracks, index, hold=hold, frame_count=known)]
        return boxes, whole
