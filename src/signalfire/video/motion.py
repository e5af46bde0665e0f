"""Motion gate: background subtraction on a small grey copy of each frame.

As in the common NVRs, the expensive detector only runs when something moved. The frame is
shrunk to ``width`` pixels wide (320 by default), turned grey and blurred; OpenCV's MOG2
background model marks foreground pixels, which are cleaned with an opening and a dilation
and grouped into regions. Regions smaller than ``min_area`` (a fraction of the picture) are
noise. Each call returns the regions in full-frame pixels and the small foreground mask,
which the after-hours rule reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from signalfire.vision.boxes import Box


@dataclass(frozen=True, slots=True)
class MotionResult:
    """What the gate saw in one frame.

    ``fraction`` is the share of the picture marked as moving, ``regions`` the moving areas
    in full-frame pixels, ``mask`` the cleaned foreground mask at the gate's small size
    (255 = moving) and ``scale`` the full-frame pixels per mask pixel.
    """

    fraction: float
    regions: list[Box]
    mask: NDArray[np.uint8]
    scale: float

    @property
    def moving(self) -> bool:
        """Whether any region passed the minimum area."""
        return bool(self.regions)


class MotionGate:
    """Background subtraction that decides whether a frame is worth a detector run.

    Parameters
    ----------
    width
        Width in pixels of the grey copy the model works on.
    min_area
        Smallest moving region, as a fraction of the picture area.
    history
        Frames the background model remembers (at 5 fps, 250 is 50 s).
    var_threshold
        MOG2's squared Mahalanobis distance for a pixel to be foreground.
    warmup
        Frames at the start that only train the model (everything looks new then).
    """

    def __init__(
        self,
        *,
        width: int = 320,
        min_area: float = 0.002,
        history: int = 250,
        var_threshold: float = 32.0,
        warmup: int = 3,
    ) -> None:
        self.width = width
        self.min_area = min_area
        self.warmup = warmup
        self.history = history
        self._seen = 0
        self._model = cv2.createBackgroundSubtractorMOG2(
            history=history, varThreshold=var_threshold, detectShadows=False
        )
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self.last: MotionResult | None = None

    def apply(self, image: NDArray[np.uint8]) -> MotionResult:
        """Update the background model with ``image`` (BGR) and report what moved."""
        height, width = image.shape[:2]
        scale = width / self.width if width > self.width else 1.0
        small_size = (round(width / scale), round(height / scale))
        # Bilinear is ten times cheaper than area averaging here; the blur below evens out
        # the sensor noise it keeps.
        small = cv2.resize(image, small_size, interpolation=cv2.INTER_LINEAR)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        grey = cv2.GaussianBlur(grey, (5, 5), 0)
        self._seen += 1
        # MOG2's own rate is 1/frames-seen until `history` frames: so fast at first that
        # anything lingering in the first seconds becomes background. Learn the empty scene
        # fast during the warm-up only, then at the steady 1/history.
        rate = 1.0 / self._seen if self._seen <= self.warmup else 1.0 / self.history
        raw = np.asarray(self._model.apply(grey, learningRate=rate), dtype=np.uint8)
        opened = cv2.morphologyEx(raw, cv2.MORPH_OPEN, self._kernel)
        mask = np.asarray(cv2.dilate(opened, self._kernel, iterations=2), dtype=np.uint8)
        if self._seen <= self.warmup:
            mask[:] = 0
        result = MotionResult(
            fraction=float(np.count_nonzero(mask)) / mask.size,
            regions=self._regions(mask, scale, width, height),
            mask=mask,
            scale=scale,
        )
        self.last = result
        return result

    def _regions(self, mask: NDArray[np.uint8], scale: float, width: int, height: int) -> list[Box]:
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        min_pixels = self.min_area * mask.size
        regions: list[Box] = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            if w * h < min_pixels or cv2.contourArea(contour) < min_pixels / 2:
                continue
            regions.append(
                (
                    float(x * scale),
                    float(y * scale),
                    float(min(width, (x + w) * scale)),
                    float(min(height, (y + h) * scale)),
                )
            )
        return regions
