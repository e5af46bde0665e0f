"""Decode a camera stream or a video file into BGR frames with PyAV.

:func:`open_source` opens files, ``rtsp://`` and ``http(s)://`` streams. Every failure to
reach or read a source, at open time or mid-stream, surfaces as :class:`SourceError` with a
message that names the source and the cause, never as a raw PyAV exception, so a camera
worker can mark the camera offline and retry.

Analysing at a lower rate than the camera sends (``fps=5`` on a 25 fps camera) still decodes
every packet, because each inter-coded frame depends on the one before it, but only the kept
frames pay for colour conversion into a numpy array, which is most of the per-frame cost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

_NETWORK_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "tcp://", "udp://")


class SourceError(Exception):
    """A video source could not be opened or read (unreachable, refused, corrupt, no video)."""


@dataclass(slots=True)
class Frame:
    """One decoded picture: ``image`` is BGR ``uint8`` (height x width x 3).

    ``pts_s`` is the frame's time in the stream (seconds); ``wall_time`` is ``time.time()``
    when it was decoded.
    """

    image: NDArray[np.uint8]
    pts_s: float
    wall_time: float


def is_network_url(url_or_path: str) -> bool:
    """Whether ``url_or_path`` names a network stream rather than a file.

    >>> is_network_url("rtsp://cam1.local/stream"), is_network_url("/var/clips/a.mp4")
    (True, False)
    """
    return url_or_path.lower().startswith(_NETWORK_SCHEMES)


def describe(url_or_path: str) -> str:
    """The source as safe to log: a URL without its password or token (userinfo of
    any shape), and without its query, fragment or ``name=value`` path pieces, which
    may hold keys.

    >>> describe("rtsp://admin:secret@10.0.0.5:554/live")
    'rtsp://admin:***@10.0.0.5:554/live'
    >>> describe("rtsp://TOKEN@cam/live?password=x#y")
    'rtsp://***@cam/live?***'
    >>> describe("/clips/a.mp4")
    '/clips/a.mp4'
    """
    scheme, sep, rest = url_or_path.partition("://")
    if not sep:
        return url_or_path
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    creds, at, host = authority.rpartition("@")
    if at:
        authority = f"{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else f"***@{host}"
    path = tail.split("?", 1)[0].split("#", 1)[0]
    path = "/***" if "=" in path else path
    return f"{scheme}://{authority}{path}{'?***' if len(path) < len(tail) else ''}"


class FrameSource:
    """An iterator of :class:`Frame` from one opened source; close it when done.

    Parameters
    ----------
    container
        An opened PyAV input container with at least one video stream.
    name
        How to name the source in errors (password already hidden).
    fps
        Keep at most this many frames per second of stream time (``None``: every frame).
    realtime
        Pace a file at its own speed, as a live camera would deliver it.
    threads
        Decoder threads: 0 lets FFmpeg choose, 1 decodes in the calling thread (cheapest in
        CPU time when one process serves many cameras).
    """

    def __init__(
        self,
        container: Any,
        *,
        name: str,
        fps: float | None = None,
        realtime: bool = False,
        threads: int = 0,
    ) -> None:
        if fps is not None and fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self._container = container
        self._name = name
        self._stream = container.streams.video[0]
        if threads < 0:
            raise ValueError(f"threads must be 0 (automatic) or more, got {threads}")
        self._stream.codec_context.thread_count = threads
        if threads != 1:
            self._stream.thread_type = "AUTO"
        self._every_s = 1.0 / fps if fps else 0.0
        self._realtime = realtime
        self._frames: Iterator[Any] = container.decode(self._stream)
        self._next_due: float | None = None
        self._last_pts: float | None = None
        self._start: tuple[float, float] | None = None
        self.decoded = 0
        """Frames decoded so far, kept or not."""

    @property
    def width(self) -> int:
        """Picture width in pixels."""
        return int(self._stream.codec_context.width)

    @property
    def height(self) -> int:
        """Picture height in pixels."""
        return int(self._stream.codec_context.height)

    @property
    def fps(self) -> float:
        """The stream's nominal frame rate (0.0 when the stream does not say)."""
        rate = self._stream.average_rate or self._stream.guessed_rate
        return float(rate) if rate else 0.0

    def __iter__(self) -> FrameSource:
        return self

    def __next__(self) -> Frame:
        while True:
            try:
                frame = next(self._frames)
            except StopIteration:
                raise
            except (av.FFmpegError, OSError, ValueError) as exc:
                raise SourceError(
                    f"video source {self._name}: read failed: {_reason(exc)}"
                ) from exc
            self.decoded += 1
            pts_s = self._time_of(frame)
            if self._last_pts is not None and pts_s < self._last_pts:
                self._next_due = None  # the stream's clock went back (a camera restarted)
            self._last_pts = pts_s
            if self._next_due is not None and pts_s + 1e-6 < self._next_due:
                continue
            self._next_due = (
                pts_s + self._every_s
                if self._next_due is None or pts_s - self._next_due > self._every_s
                else self._next_due + self._every_s
            )
            if self._realtime:
                self._pace(pts_s)
            image: NDArray[np.uint8] = frame.to_ndarray(format="bgr24")
            return Frame(image=image, pts_s=pts_s, wall_time=time.time())

    def _time_of(self, frame: Any) -> float:
        if frame.pts is not None and frame.time_base is not None:
            return float(frame.pts * Fraction(frame.time_base))
        rate = self.fps or 25.0
        return (self.decoded - 1) / rate

    def _pace(self, pts_s: float) -> None:
        now = time.monotonic()
        if self._start is None:
            self._start = (now, pts_s)
            return
        delay = self._start[0] + (pts_s - self._start[1]) - now
        if delay > 0:
            time.sleep(delay)

    def close(self) -> None:
        """Release the connection or file."""
        self._container.close()

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(
    url_or_path: str,
    *,
    timeout_s: float = 10.0,
    fps: float | None = None,
    realtime: bool = False,
    threads: int = 0,
) -> FrameSource:
    """Open a file or an ``rtsp://`` / ``http(s)://`` stream for decoding.

    Parameters
    ----------
    url_or_path
        A local path or a stream URL.
    timeout_s
        How long to wait to connect, and for each read, before giving up.
    fps
        Analysis rate: keep at most this many frames per second (``None``: all of them).
    realtime
        Deliver a file's frames at the speed it was recorded.
    threads
        Decoder threads (0: FFmpeg chooses; 1: none besides the caller's).

    Raises
    ------
    SourceError
        The source is unreachable, refused, missing, corrupt or has no video stream.
    """
    name = describe(url_or_path)
    options: dict[str, str] = {}
    if url_or_path.lower().startswith(("rtsp://", "rtsps://")):
        options["rtsp_transport"] = "tcp"
    try:
        container = av.open(url_or_path, options=options, timeout=(timeout_s, timeout_s))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise SourceError(f"video source {name}: cannot open: {_reason(exc)}") from exc
    if not container.streams.video:
        container.close()
        raise SourceError(f"video source {name}: has no video stream")
    try:
        return FrameSource(container, name=name, fps=fps, realtime=realtime, threads=threads)
    except ValueError:
        container.close()
        raise


def _reason(exc: BaseException) -> str:
    """The cause without PyAV's repetition of the URL (which may hold a password)."""
    strerror = getattr(exc, "strerror", None)
    return str(strerror) if strerror else type(exc).__name__
