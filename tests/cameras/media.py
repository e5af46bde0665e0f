"""Videos the camera tests make for themselves, encoded with PyAV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]


def write_video(
    path: Path,
    frames: int,
    draw: Callable[[int], Image],
    *,
    fps: int = 10,
    gop: int = 10,
    codec: str = "libx264",
) -> Path:
    """Encode ``frames`` pictures from ``draw(i)`` (BGR) into ``path``, a keyframe every ``gop``."""
    first = draw(0)
    height, width = first.shape[:2]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = gop
        stream.codec_context.options = {"bf": "0", "sc_threshold": "0"}
        for i in range(frames):
            image = first if i == 0 else draw(i)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def moving_square(width: int = 320, height: int = 240, frames: int = 60) -> Callable[[int], Image]:
    """A white square crossing a grey scene from left to right."""

    def draw(i: int) -> Image:
        image = np.full((height, width, 3), 90, np.uint8)
        x = int((width - 40) * i / max(frames - 1, 1))
        image[height // 2 - 30 : height // 2 + 30, x : x + 40] = 255
        return image

    return draw


def astronaut_scene() -> tuple[Image, tuple[int, int, int, int]]:
    """scikit-image's astronaut photo (BGR, 512x512) and a box around her face."""
    from skimage import data

    rgb: Image = data.astronaut()  # type: ignore[no-untyped-call]
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    return bgr, (170, 40, 290, 190)


def corrupt_file(path: Path) -> Path:
    """A file that claims to be an MP4 but holds noise."""
    rng = np.random.default_rng(7)
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + rng.integers(0, 256, 40_000, np.uint8).tobytes())
    return path


def decode_jpeg(jpeg: bytes) -> Image:
    """A JPEG as a BGR array."""
    import cv2

    picture = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert picture is not None, "not a JPEG"
    return picture.astype(np.uint8)
