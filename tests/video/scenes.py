"""Test scenes: real photos that installed packages ship, with boxes moving over them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import skimage.data
from matplotlib import cbook
from numpy.typing import NDArray

from signalfire.video import synthetic
from signalfire.video.synthetic import Mover


def astronaut(width: int = 640, height: int = 360) -> NDArray[np.uint8]:
    """scikit-image's astronaut photo (NASA, public domain) as a BGR background."""
    photo: NDArray[np.uint8] = skimage.data.astronaut()  # type: ignore[no-untyped-call]
    return synthetic.fit(photo, width, height)


def coffee(width: int = 640, height: int = 360) -> NDArray[np.uint8]:
    """scikit-image's coffee cup photo (Rachel Michetti, CC0) as a BGR background."""
    photo: NDArray[np.uint8] = skimage.data.coffee()  # type: ignore[no-untyped-call]
    return synthetic.fit(photo, width, height)


def grace_hopper(width: int = 640, height: int = 360) -> NDArray[np.uint8]:
    """matplotlib's Grace Hopper portrait (public domain) as a BGR background."""
    path = str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    bgr = np.asarray(cv2.imread(path, cv2.IMREAD_COLOR), dtype=np.uint8)
    return synthetic.fit(np.ascontiguousarray(bgr[..., ::-1]), width, height)


def clip(
    path: Path,
    background: NDArray[np.uint8],
    movers: Sequence[Mover],
    *,
    seconds: float,
    fps: int = 10,
    noise: float = 3.0,
) -> Path:
    """An H.264 MP4 of ``movers`` over ``background``."""
    frames = synthetic.scene(background, movers, fps=fps, seconds=seconds, noise=noise)
    return synthetic.write_clip(path, frames, fps=fps)
