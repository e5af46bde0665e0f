"""Redaction: find, track and hide faces (and plates) before footage leaves the system.

``redact_video`` does a whole clip; ``analyse`` then ``export`` split it for review,
where a person removes false tracks, adds boxes that are followed forward, and hides
whole frames; ``blur_faces`` hides the faces in one image (event snapshots).

The engine is a pure library (no web, no SQL, nothing of ``signalfire.core``) that
raises :class:`~signalfire.redaction.errors.RedactionError`; the job API (``jobs``,
``models``, ``recovery``, ``router``, ``schemas``, ``events``), whose jobs are stored in
the database, maps those to domain errors.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from signalfire.redaction.analysis import Analysis, analyse
from signalfire.redaction.blur import Method, redact_regions
from signalfire.redaction.clip import export, preview, redact_video
from signalfire.redaction.errors import RedactionError, UnreadableVideo
from signalfire.redaction.faces import CenterFace, Scale
from signalfire.redaction.options import Edits, FrameRange, ManualBox, RedactionOptions
from signalfire.redaction.report import RedactionReport

__all__ = [
    "Analysis",
    "CenterFace",
    "Edits",
    "FrameRange",
    "ManualBox",
    "RedactionError",
    "RedactionOptions",
    "RedactionReport",
    "UnreadableVideo",
    "analyse",
    "blur_faces",
    "export",
    "preview",
    "redact_regions",
    "redact_video",
]


@lru_cache(maxsize=1)
def _shared_detector() -> CenterFace:
    return CenterFace()


def blur_faces(
    image: NDArray[np.uint8],
    *,
    scale: Scale = None,
    method: Method = "blur",
    margin: float = 0.3,
    threshold: float = 0.2,
) -> NDArray[np.uint8]:
    """A copy of the BGR ``image`` with every detected face hidden."""
    boxes = _shared_detector().detect(image, scale=scale, threshold=threshold)
    return redact_regions(image, boxes, method=method, margin=margin)
