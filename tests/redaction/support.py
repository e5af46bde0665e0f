"""Clips with a real face photo at known positions, for the redaction tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import matplotlib.cbook
import numpy as np
import skimage.data
from numpy.typing import NDArray
from PIL import Image

from signalfire.redaction.faces import CenterFace, Scale
from signalfire.vision.boxes import Boxes

WIDTH, HEIGHT, FPS = 320, 240, 25

Box = tuple[int, int, int, int]


def grace_hopper(height: int = 120) -> NDArray[np.uint8]:
    """Grace Hopper's portrait (matplotlib's sample data), head and shoulders, BGR,
    scaled to ``height`` pixels."""
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    photo = Image.open(str(path)).convert("RGB")
    head = photo.crop((130, 80, 400, 400))  # hair to collar, the face near the middle
    width = round(head.width * height / head.height)
    return np.asarray(head.resize((width, height)))[:, :, ::-1].copy()


# The face itself (brows to chin, cheek to cheek) inside ``grace_hopper()``'s 120-px
# crop, read off the photo by eye: the region every frame must hide.
FACE_IN_HEAD = (28, 28, 76, 92)


def astronaut_rocket() -> NDArray[np.uint8]:
    """The rocket beside the astronaut (no face in it), BGR: a thing a reviewer marks."""
    photo: NDArray[np.uint8] = skimage.data.astronaut()  # type: ignore[no-untyped-call]
    return photo[20:110, 400:470, ::-1].copy()


@dataclass
class Clip:
    """A written clip and where the pasted photo's face is on each frame."""

    path: Path
    frames: list[NDArray[np.uint8]]
    faces: list[Box | None]


def write_clip(
    path: Path,
    paste: NDArray[np.uint8],
    position: Callable[[int], tuple[int, int] | None],
    *,
    frames: int = 60,
    audio: bool = False,
    inner: Box | None = FACE_IN_HEAD,
) -> Clip:
    """Paste ``paste`` at ``position(i)`` (top-left, or None: absent) on a grey
    background and encode H.264 (near lossless) with an optional tone track."""
    rng = np.random.default_rng(4)
    background = rng.integers(60, 120, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    images, faces = [], []
    ph, pw = paste.shape[:2]
    for i in range(frames):
        image = background.copy()
        where = position(i)
        face: Box | None = None
        if where is not None:
            x, y = where
            image[y : y + ph, x : x + pw] = paste
            if inner is not None:
                face = (x + inner[0], y + inner[1], x + inner[2], y + inner[3])
        images.append(image)
        faces.append(face)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"crf": "12", "preset": "ultrafast"}
        tone = out.add_stream("aac", rate=44100) if audio else None
        for image in images:
            for packet in video.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if tone is not None:
            _write_tone(out, tone, seconds=frames / FPS)
    return Clip(path, images, faces)


def _write_tone(out: av.container.OutputContainer, stream: av.AudioStream, seconds: float) -> None:
    samples = np.sin(np.arange(int(44100 * seconds)) * 0.05).astype(np.float32)
    for start in range(0, samples.size, 1024):
        chunk = samples[start : start + 1024]
        frame = av.AudioFrame.from_ndarray(chunk[None], format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 44100, start, Fraction(1, 44100)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)


def decode(path: Path) -> list[NDArray[np.uint8]]:
    """Every frame of ``path``, BGR."""
    with av.open(str(path)) as container:
        return [
            np.asarray(f.to_ndarray(format="bgr24"), np.uint8) for f in container.decode(video=0)
        ]


def black_share(image: NDArray[np.uint8], box: Box | None) -> float:
    """Share of ``box``'s pixels that are black (blacked out by the redaction)."""
    assert box is not None
    x1, y1, x2, y2 = box
    region = image[y1:y2, x1:x2].astype(int)
    return float((region.max(axis=2) < 30).mean())


class MissEveryThird:
    """A real CenterFace whose every third call finds nothing (a detector's bad frames)."""

    def __init__(self) -> None:
        self.inner = CenterFace()
        self.calls = 0
        self.missed = 0

    def detect_rgb(
        self, image_rgb: NDArray[np.uint8], *, scale: Scale = None, threshold: float = 0.2
    ) -> Boxes:
        self.calls += 1
        found = self.inner.detect_rgb(image_rgb, scale=scale, threshold=threshold)
        if self.calls % 3 == 0:
            self.missed += 1
            return found[:0]
        return found


class NoFaces:
    """A detector that finds nothing: leaves the reviewer's edits alone in the output."""

    def detect_rgb(
        self, image_rgb: NDArray[np.uint8], *, scale: Scale = None, threshold: float = 0.2
    ) -> Boxes:
        return np.empty((0, 5), np.float32)
