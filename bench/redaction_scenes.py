"""Test clips for the redaction benchmark: real face photos that Python packages ship,
pasted on real backgrounds with motion, scale changes, partial occlusion, sensor noise
and H.264 compression, with the face region of every face on every frame known.

Faces: scikit-image's ``astronaut`` (Eileen Collins), matplotlib's ``grace_hopper`` and
the faces of scikit-image's ``lfw_subset`` (Labeled Faces in the Wild, 25 x 25 grey).
The face box inside each photo (brows to chin, cheek to cheek) was read off the photo by
eye; the truth region is the ellipse inscribed in it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import matplotlib.cbook
import numpy as np
import skimage.data
from numpy.typing import NDArray
from PIL import Image

W, H, FPS = 1280, 720, 25
Image8 = NDArray[np.uint8]


@dataclass(frozen=True)
class Head:
    """A head-and-shoulders photo (BGR) and its face box as fractions of its size."""

    name: str
    image: Image8
    face: tuple[float, float, float, float]


def heads() -> dict[str, Head]:
    """The photos, by name."""
    astronaut = skimage.data.astronaut()[20:230, 130:330, ::-1]  # type: ignore[no-untyped-call]
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    hopper = np.asarray(Image.open(str(path)).convert("RGB"))[80:400, 130:400, ::-1]
    found = {
        "astronaut": Head("astronaut", np.ascontiguousarray(astronaut), (0.24, 0.26, 0.71, 0.75)),
        "hopper": Head("hopper", np.ascontiguousarray(hopper), (0.26, 0.22, 0.76, 0.78)),
    }
    lfw = skimage.data.lfw_subset()[:100]  # type: ignore[no-untyped-call]  # the faces
    for n in (0, 3, 5, 11, 17, 23):
        grey = (lfw[n] * 255).astype(np.uint8)
        found[f"lfw{n}"] = Head(
            f"lfw{n}", cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), (0.1, 0.05, 0.9, 1.0)
        )
    return found


Path2 = Callable[[int], tuple[float, float, float]]  # frame -> centre x, centre y, height


@dataclass
class Scene:
    """What a clip shows: a background, moving heads, and moving occluding posts."""

    name: str
    background: Image8
    actors: list[tuple[Head, Path2]]
    posts: list[Callable[[int], tuple[int, int]]] = field(default_factory=list)
    frames: int = 200


@dataclass
class Truth:
    """Per frame, per face: the box and which of its pixels are visible face."""

    faces: list[list[tuple[tuple[int, int, int, int], NDArray[np.bool_]]]]


def _background(image: Image8) -> Image8:
    return np.ascontiguousarray(cv2.resize(image, (W, H), interpolation=cv2.INTER_CUBIC))


def scenes(frames: int = 200) -> list[Scene]:
    """Three scenes of ``frames`` frames each."""
    h = heads()
    coffee = _background(skimage.data.coffee()[:, :, ::-1])  # type: ignore[no-untyped-call]
    chelsea = _background(skimage.data.chelsea()[:, :, ::-1])  # type: ignore[no-untyped-call]
    rocket = _background(skimage.data.rocket()[:, :, ::-1])  # type: ignore[no-untyped-call]
    n = frames

    def walk(i: int) -> tuple[float, float, float]:  # towards the camera, left to right
        return (150 + 900 * i / n, 330 + 40 * math.sin(i / 15), 110 + 200 * i / n)

    def sway(i: int) -> tuple[float, float, float]:  # breathing scale, fast lateral moves
        return (900 - 500 * i / n + 60 * math.sin(i / 6), 300, 220 + 90 * math.sin(i / 20))

    def diagonal(i: int) -> tuple[float, float, float]:
        return (200 + 400 * i / n, 150 + 350 * i / n, 120)

    def drift(x0: float, y0: float, size: float, phase: float) -> Path2:
        return lambda i: (x0 + 80 * math.sin(i / 25 + phase), y0 + 30 * math.cos(i / 18), size)

    return [
        Scene(
            "walk",
            coffee,
            [(h["astronaut"], walk)],
            posts=[lambda i: (int(1100 - 700 * i / n), 45)],
            frames=n,
        ),
        Scene(
            "pair",
            chelsea,
            [(h["hopper"], sway), (h["lfw0"], diagonal)],
            posts=[lambda i: (int(200 + 800 * i / n), 60)],
            frames=n,
        ),
        Scene(
            "group",
            rocket,
            [
                (h["lfw3"], drift(200, 200, 130, 0.0)),
                (h["lfw5"], drift(520, 420, 110, 1.0)),
                (h["lfw11"], drift(840, 220, 150, 2.0)),
                (h["lfw17"], drift(1080, 480, 100, 3.0)),
                (h["astronaut"], drift(400, 560, 170, 4.0)),
            ],
            frames=n,
        ),
    ]


def _paste(
    canvas: Image8, head: Head, cx: float, cy: float, height: float
) -> tuple[int, int, int, int] | None:
    """Paste ``head`` scaled to ``height`` centred at (cx, cy); its face box, clipped."""
    scale = height / head.image.shape[0]
    hw, hh = max(8, round(head.image.shape[1] * scale)), max(8, round(height))
    photo = cv2.resize(
        head.image, (hw, hh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )
    x1, y1 = round(cx - hw / 2), round(cy - hh / 2)
    cx1, cy1, cx2, cy2 = max(0, x1), max(0, y1), min(W, x1 + hw), min(H, y1 + hh)
    if cx2 <= cx1 or cy2 <= cy1:
        return None
    canvas[cy1:cy2, cx1:cx2] = photo[cy1 - y1 : cy2 - y1, cx1 - x1 : cx2 - x1]
    fx1, fy1, fx2, fy2 = head.face
    return (x1 + round(fx1 * hw), y1 + round(fy1 * hh), x1 + round(fx2 * hw), y1 + round(fy2 * hh))


def _ellipse(box: tuple[int, int, int, int]) -> tuple[tuple[int, int, int, int], NDArray[np.bool_]]:
    x1, y1, x2, y2 = box
    ys, xs = np.ogrid[y1:y2, x1:x2]
    cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (y2 - y1) / 2
    inside = ((xs + 0.5 - cx) / rx) ** 2 + ((ys + 0.5 - cy) / ry) ** 2 <= 1
    cx1, cy1, cx2, cy2 = max(0, x1), max(0, y1), min(W, x2), min(H, y2)
    return (cx1, cy1, cx2, cy2), inside[cy1 - y1 : cy2 - y1, cx1 - x1 : cx2 - x1]


def render_scene(scene: Scene, path: Path, seed: int = 0) -> Truth:
    """Write ``scene`` as H.264 (CRF 23, noise added) to ``path`` and return the truth."""
    rng = np.random.default_rng(seed)
    noise = [rng.normal(0, 4, (H, W, 3)).astype(np.int16) for _ in range(7)]
    truth: list[list[tuple[tuple[int, int, int, int], NDArray[np.bool_]]]] = []
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"crf": "23", "preset": "fast"}
        for i in range(scene.frames):
            canvas = scene.background.copy()
            boxes = [_paste(canvas, head, *where(i)) for head, where in scene.actors]
            faces = [_ellipse(b) for b in boxes if b is not None]
            # Later heads cover earlier ones: an earlier face is visible only where no
            # later head and no post lies.
            cover = np.zeros((H, W), bool)
            for post in scene.posts:
                x, width = post(i)
                canvas[:, max(0, x) : max(0, x + width)] = (70, 80, 90)
                cover[:, max(0, x) : max(0, x + width)] = True
            visible = []
            for k, (box, inside) in enumerate(faces):
                blocked = cover.copy()
                for later, _ in faces[k + 1 :]:
                    blocked[later[1] : later[3], later[0] : later[2]] = True
                x1, y1, x2, y2 = box
                visible.append((box, inside & ~blocked[y1:y2, x1:x2]))
            truth.append(visible)
            noisy = (canvas.astype(np.int16) + noise[i % len(noise)]).clip(0, 255).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(noisy, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return Truth(truth)
