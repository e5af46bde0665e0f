"""The test scenes: a person-sized square crossing the astronaut photo, and broken sources."""

from __future__ import annotations

from pathlib import Path

from tests.cameras.media import Image, astronaut_scene, corrupt_file, write_video

#: A local port nothing listens on: connections are refused at once.
UNREACHABLE = "rtsp://127.0.0.1:9/live"


def crossing_frame(i: int) -> Image:
    """Frame ``i``: the astronaut photo with a white box moving right along the bottom."""
    image, _face = astronaut_scene()
    x = 20 + i * 8
    image[380:440, x : x + 50] = (255, 255, 255)
    return image


def crossing_video(directory: Path, name: str = "crossing.mp4") -> Path:
    """5.6 s at 10 fps: the box crosses the picture's vertical midline once."""
    return write_video(directory / name, 56, crossing_frame, fps=10, gop=10)


def broken_video(directory: Path) -> Path:
    """A file named .mp4 that holds noise."""
    return corrupt_file(directory / "broken.mp4")
