"""Reading and writing video with PyAV (FFmpeg): probe, decode, encode H.264 MP4.

Every FFmpeg failure surfaces as :class:`UnreadableVideo` naming the file; outputs are
written to a temporary file beside the target and renamed only when complete. No source
is opened before :func:`check_source` has passed it: never a database of this process.
"""

from __future__ import annotations

import contextlib
import os
import queue
import stat
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import av
import av.container
import numpy as np
from numpy.typing import NDArray

from signalfire.redaction.errors import UnreadableVideo

T = TypeVar("T")
_DONE = object()

_COPYABLE_AUDIO = frozenset({"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"})


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What a clip is, from its header."""

    width: int
    height: int
    fps: Fraction
    frames: int  # as declared by the container; 0 when unknown
    has_audio: bool
    audio_codec: str | None


#: Files this process must never open as media (its SQLite databases), by path.
_off_limits: set[Path] = set()
_off_limits_lock = threading.Lock()
_DATABASE_SIBLINGS = ("", "-wal", "-shm", "-journal")


def never_open(database: Path) -> None:
    """Refuse, from now on in this process, to open the SQLite ``database`` or its
    ``-wal``, ``-shm`` and ``-journal`` files as media, under any name or link."""
    with _off_limits_lock:
        _off_limits.add(database.absolute())


def check_source(path: Path) -> None:
    """Raise :class:`UnreadableVideo` unless ``path`` is a regular file that is none of
    the files :func:`never_open` named.

    On Linux, closing *any* descriptor of a file drops every POSIX lock the process
    holds on it; an FFmpeg open of SQLite's database (or its ``-shm``) would silently
    end the server's locks and let another process delete the live WAL. So files are
    compared by ``(st_dev, st_ino)`` from :func:`os.stat`, which opens nothing and
    follows links; each opener of a source calls this first.
    """
    try:
        found = os.stat(path)
    except (OSError, ValueError):  # missing, a NUL byte, a name too long...
        raise UnreadableVideo(path, "does not exist") from None
    if not stat.S_ISREG(found.st_mode):
        raise UnreadableVideo(path, "is not a regular file")
    if (found.st_dev, found.st_ino) in _database_identities():
        raise UnreadableVideo(path, "is a database file of this server, never opened as media")


def _database_identities() -> set[tuple[int, int]]:
    with _off_limits_lock:
        databases = list(_off_limits)
    identities = set()
    for database in databases:
        for suffix in _DATABASE_SIBLINGS:
            try:
                found = os.stat(f"{database}{suffix}")
            except OSError:
                continue
            identities.add((found.st_dev, found.st_ino))
    return identities


def open_input(path: Path) -> av.container.InputContainer:
    """Open ``path`` for decoding (after :func:`check_source`), or raise
    :class:`UnreadableVideo`."""
    check_source(path)
    try:
        container = av.open(str(path), mode="r")
    except av.error.FFmpegError as error:
        raise UnreadableVideo(path, f"is not a readable video ({error.strerror})") from None
    except UnicodeDecodeError:
        raise UnreadableVideo(path, "is not a readable video (undecodable metadata)") from None
    if not container.streams.video:
        container.close()
        raise UnreadableVideo(path, "has no video stream")
    return container


def probe(path: Path) -> VideoInfo:
    """Size, frame rate and streams of the clip at ``path``."""
    with open_input(path) as container:
        stream = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        return VideoInfo(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=Fraction(rate),
            frames=stream.frames,
            has_audio=audio is not None,
            audio_codec=audio.codec_context.name if audio is not None else None,
        )


@contextlib.contextmanager
def decoding_errors(path: Path) -> Iterator[None]:
    """Turn FFmpeg errors met while decoding ``path`` into :class:`UnreadableVideo`."""
    try:
        yield
    except av.error.FFmpegError as error:
        raise UnreadableVideo(path, f"is damaged: decoding failed ({error.strerror})") from None


def frames(
    path: Path, *, size: tuple[int, int] | None = None, fmt: str = "rgb24"
) -> Iterator[NDArray[np.uint8]]:
    """Every frame of ``path`` as an array, scaled to ``size`` (width, height) if given."""
    with open_input(path) as container, decoding_errors(path):
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if size is None:
                array = frame.to_ndarray(format=fmt)
            else:
                array = frame.to_ndarray(format=fmt, width=size[0], height=size[1])
            yield np.asarray(array, dtype=np.uint8)


def prefetch(items: Iterator[T], depth: int = 6) -> Iterator[T]:
    """``items``, produced by a worker thread up to ``depth`` ahead of the consumer.

    FFmpeg decodes and scales without holding the GIL, so decoding the next frames
    overlaps detection or encoding of this one. An error in the worker is raised here;
    a consumer that stops early stops the worker.

    >>> list(prefetch(iter(range(5)), depth=2))
    [0, 1, 2, 3, 4]
    """
    box: queue.Queue[Any] = queue.Queue(depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as error:  # handed to the consumer
            offer(error)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name="prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = box.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed to it only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".partial.mp4", dir=target.parent)
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


class Encoder:
    """An H.264 MP4 writer that copies (or re-encodes) the input's audio."""

    def __init__(
        self,
        output: av.container.OutputContainer,
        source: av.container.InputContainer,
        *,
        crf: int,
        preset: str,
        keep_audio: bool,
    ) -> None:
        video_in = source.streams.video[0]
        rate = video_in.average_rate or video_in.guessed_rate or Fraction(25)
        self.output = output
        self.video = output.add_stream("libx264", rate=Fraction(rate))
        self.video.width = video_in.codec_context.width
        self.video.height = video_in.codec_context.height
        self.video.pix_fmt = "yuv420p"
        self.video.options = {"crf": str(crf), "preset": preset}
        self.audio_in = source.streams.audio[0] if keep_audio and source.streams.audio else None
        self.audio_out: Any = None
        self.resampled = False
        if self.audio_in is not None:
            if self.audio_in.codec_context.name in _COPYABLE_AUDIO:
                self.audio_out = output.add_stream_from_template(self.audio_in)
            else:
                self.audio_out = output.add_stream("aac", rate=self.audio_in.rate)
                self.resampled = True
        self._index = 0

    def write(self, frame: av.VideoFrame) -> None:
        """Encode one video frame (frames get consecutive timestamps)."""
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        frame.pts = self._index
        frame.time_base = Fraction(1) / self.video.codec_context.rate
        self._index += 1
        for packet in self.video.encode(frame):
            self.output.mux(packet)

    def write_audio(self, packet: av.Packet[Any]) -> None:
        """Copy an audio packet, or decode and re-encode it as AAC."""
        if self.audio_out is None or packet.dts is None:
            return
        if not self.resampled:
            packet.stream = self.audio_out
            self.output.mux(packet)
            return
        for decoded in packet.decode():
            decoded.pts = None
            for out in self.audio_out.encode(decoded):
                self.output.mux(out)

    def close(self) -> None:
        """Flush the encoders."""
        for packet in self.video.encode(None):
            self.output.mux(packet)
        if self.resampled and self.audio_out is not None:
            for packet in self.audio_out.encode(None):
                self.output.mux(packet)
