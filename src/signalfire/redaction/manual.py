"""Follow a reviewer's box forward through the clip by template matching.

OpenCV 5 no longer ships the CSRT and KCF trackers; the ones left need model files.
Normalised cross-correlation of the box's patch within a search window around its last
position is enough for the slow, rigid things reviewers mark (a screen, a sign, a face
the detector cannot see), costs a few milliseconds per frame, and is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np
from numpy.typing import NDArray

from signalfire.redaction.options import ManualBox
from signalfire.vision.boxes import Box

MIN_SCORE = 0.5  # below this the match is doubtful and the box stays where it was
SEARCH = 1.0  # search window margin, in box sizes
BLEND = 0.2  # share of the newest patch mixed into the template after a good match


class Follower:
    """Track one box forward, one grey frame at a time."""

    def __init__(self, first: NDArray[np.uint8], box: Box):
        x1, y1, x2, y2 = (round(v) for v in box)
        height, width = first.shape[:2]
        self.x1, self.y1 = max(0, x1), max(0, y1)
        self.w = max(4, min(width, x2) - self.x1)
        self.h = max(4, min(height, y2) - self.y1)
        self.template = first[self.y1 : self.y1 + self.h, self.x1 : self.x1 + self.w].astype(
            np.float32
        )
        self.score = 1.0

    @property
    def box(self) -> Box:
        """Current (x1, y1, x2, y2)."""
        return (self.x1, self.y1, self.x1 + self.w, self.y1 + self.h)

    def step(self, frame: NDArray[np.uint8]) -> Box:
        """Move to the best match in ``frame`` and return the box there."""
        height, width = frame.shape[:2]
        th, tw = self.template.shape[:2]
        sx1, sy1 = max(0, self.x1 - int(SEARCH * tw)), max(0, self.y1 - int(SEARCH * th))
        sx2 = min(width, self.x1 + tw + int(SEARCH * tw))
        sy2 = min(height, self.y1 + th + int(SEARCH * th))
        window = frame[sy1:sy2, sx1:sx2].astype(np.float32)
        if window.shape[0] < th or window.shape[1] < tw:
            return self.box
        scores = cv2.matchTemplate(window, self.template, cv2.TM_CCOEFF_NORMED)
        _, best, _, (dx, dy) = cv2.minMaxLoc(scores)
        self.score = float(best)
        if best >= MIN_SCORE:
            self.x1, self.y1 = sx1 + dx, sy1 + dy
            patch = frame[self.y1 : self.y1 + th, self.x1 : self.x1 + tw].astype(np.float32)
            self.template = (1 - BLEND) * self.template + BLEND * patch
        return self.box


def follow_boxes(
    grey_frames: Iterable[NDArray[np.uint8]], boxes: tuple[ManualBox, ...]
) -> list[dict[int, Box]]:
    """For each manual box, its position on every frame of its range.

    ``grey_frames`` yields the clip's frames in order from frame 0; it is read only up
    to the last frame any box needs.
    """
    placed: list[dict[int, Box]] = [{} for _ in boxes]
    if not boxes:
        return placed
    last = max(b.end_frame for b in boxes)
    followers: dict[int, Follower] = {}
    for index, grey in enumerate(grey_frames):
        if index > last:
            break
        for n, edit in enumerate(boxes):
            if not edit.start_frame <= index <= edit.end_frame:
                continue
            if index == edit.start_frame or not edit.follow:
                followers[n] = Follower(grey, edit.box)
                placed[n][index] = followers[n].box
            else:
                placed[n][index] = followers[n].step(grey)
    return placed
