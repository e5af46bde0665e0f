"""Synthetic camera scenes for tests, benchmarks and demos: shapes moving over a photo.

A scene is a still background (any BGR picture, for example one of scikit-image's or
matplotlib's sample photos) with sensor-like noise, and :class:`Mover` boxes that travel
along straight legs. :func:`write_clip` encodes frames into a video file with PyAV.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from signalfire.video.geometry import Point


@dataclass(frozen=True, slots=True)
class Mover:
    """A shape that visits ``waypoints`` (pixel centres) at the times ``times`` (s).

    It appears at the first time and disappears after the last; between two waypoints it
    moves in a straight line at constant speed. ``shape`` is a filled ``"box"`` of ``size``
    (width, height) or a ``"person"``: a standing silhouette ``size[1]`` pixels tall, the
    kind of outline a HOG people detector responds to.
    """

    waypoints: Sequence[Point]
    times: Sequence[float]
    size: tuple[int, int] = (60, 120)
    color: tuple[int, int, int] = (40, 40, 200)
    shape: Literal["box", "person"] = "box"

    def centre(self, t: float) -> Point | None:
        """Where the box centre is at time ``t``, or ``None`` when it is not in the scene.

        >>> Mover([(0, 0), (100, 50)], [1.0, 3.0]).centre(2.0)
        (50.0, 25.0)
        >>> Mover([(0, 0), (100, 50)], [1.0, 3.0]).centre(3.5) is None
        True
        """
        if t < self.times[0] or t > self.times[-1]:
            return None
        xs = [p[0] for p in self.waypoints]
        ys = [p[1] for p in self.waypoints]
        return (float(np.interp(t, self.times, xs)), float(np.interp(t, self.times, ys)))


def fit(photo: NDArray[np.uint8], width: int, height: int) -> NDArray[np.uint8]:
    """``photo`` (RGB or grey, as packages ship them) cropped and scaled to a BGR picture."""
    if photo.ndim == 2:
        photo = np.stack([photo] * 3, axis=-1)
    bgr = np.ascontiguousarray(photo[..., :3][..., ::-1])
    h, w = bgr.shape[:2]
    target = width / height
    if w / h > target:
        crop = round(h * target)
        bgr = bgr[:, (w - crop) // 2 : (w - crop) // 2 + crop]
    else:
        crop = round(w / target)
        bgr = bgr[(h - crop) // 2 : (h - crop) // 2 + crop]
    resized = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
    return np.asarray(resized, dtype=np.uint8)


def render(
    background: NDArray[np.uint8],
    movers: Sequence[Mover],
    t: float,
    *,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
) -> NDArray[np.uint8]:
    """The scene at time ``t``: movers drawn over ``background``, plus Gaussian noise."""
    image = background.copy()
    for mover in movers:
        centre = mover.centre(t)
        if centre is None:
            continue
        if mover.shape == "person":
            _silhouette(image, centre, mover.size[1], mover.color)
            continue
        half_w, half_h = mover.size[0] / 2, mover.size[1] / 2
        top_left = (round(centre[0] - half_w), round(centre[1] - half_h))
        bottom_right = (round(centre[0] + half_w), round(centre[1] + half_h))
        cv2.rectangle(image, top_left, bottom_right, mover.color, thickness=-1)
    if noise > 0:
        rng = rng or np.random.default_rng(0)
        grain = rng.normal(0.0, noise, image.shape[:2])[..., None]
        image = np.asarray(np.clip(image + grain, 0, 255), dtype=np.uint8)
    return image


def _silhouette(
    image: NDArray[np.uint8], centre: Point, height: int, color: tuple[int, int, int]
) -> None:
    """A standing person ``height`` px tall centred on ``centre``: head, body, arms, legs."""
    s = height / 200.0
    x, top = centre[0], centre[1] - height / 2

    def p(dx: float, dy: float) -> tuple[int, int]:
        return (round(x + dx * s), round(top + dy * s))

    def w(value: float) -> int:
        return max(1, round(value * s))

    cv2.circle(image, p(0, 15), w(14), color, -1)
    cv2.line(image, p(0, 28), p(0, 34), color, w(10))
    cv2.ellipse(image, p(0, 75), (w(24), w(45)), 0, 0, 360, color, -1)
    for side in (-1, 1):
        cv2.line(image, p(24 * side, 45), p(34 * side, 110), color, w(11))
        cv2.line(image, p(10 * side, 110), p(18 * side, 195), color, w(15))


def scene(
    background: NDArray[np.uint8],
    movers: Sequence[Mover],
    *,
    fps: float,
    seconds: float,
    noise: float = 0.0,
    seed: int = 0,
) -> Iterator[NDArray[np.uint8]]:
    """Frames of a scene, ``fps`` per second for ``seconds``."""
    rng = np.random.default_rng(seed)
    for i in range(round(fps * seconds)):
        yield render(background, movers, i / fps, noise=noise, rng=rng)


def write_clip(
    path: str | Path,
    frames: Iterable[NDArray[np.uint8]],
    *,
    fps: int,
    codec: str = "libx264",
    gop: int | None = None,
    bit_rate: int | None = None,
) -> Path:
    """Encode BGR ``frames`` into ``path`` (container from the suffix); returns the path.

    ``bit_rate`` (bits/s) caps the stream the way a camera's encoder setting does; without
    it the encoder's constant quality spends many bits on synthetic noise. The file appears
    only when complete (written beside it, then renamed).
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(suffix=target.suffix, dir=target.parent)
    os.close(fd)
    try:
        with av.open(tmp_name, mode="w") as container:
            stream = container.add_stream(codec, rate=Fraction(fps))
            if not isinstance(stream, av.VideoStream):
                raise ValueError(f"codec {codec!r} does not encode video")
            stream.pix_fmt = "yuv420p"
            stream.codec_context.gop_size = gop or fps * 2
            if bit_rate:
                stream.codec_context.bit_rate = bit_rate
            if codec == "libx264":
                stream.codec_context.options = {"preset": "veryfast", "tune": "zerolatency"}
            for index, image in enumerate(frames):
                if index == 0:
                    stream.width, stream.height = image.shape[1], image.shape[0]
                frame = av.VideoFrame.from_ndarray(image, format="bgr24")
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target
