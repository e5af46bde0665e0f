"""Record a stream into segments of N seconds without re-encoding (PyAV remux).

Packets are copied from the source into MP4 (H.264, H.265, AV1...) or Matroska (other
codecs) files, each starting on a keyframe, so a segment plays on its own and costs no
decoding. A segment is written under a temporary name and renamed when closed; a crash
leaves no half-written segment behind under a real name.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from signalfire.cameras.workers.messages import SegmentReport
from signalfire.video.decode import SourceError, describe

_MP4_CODECS = frozenset({"h264", "hevc", "av1", "mpeg4", "vp9"})


def container_for(codec: str) -> tuple[str, str]:
    """The (format, extension) segments of ``codec`` are stored in.

    >>> container_for("h264"), container_for("mjpeg")
    (('mp4', '.mp4'), ('matroska', '.mkv'))
    """
    return ("mp4", ".mp4") if codec in _MP4_CODECS else ("matroska", ".mkv")


@dataclass(slots=True)
class _Open:
    """The segment being written."""

    container: Any
    stream: Any
    tmp: Path
    final: Path
    started_at: float
    first_pts_s: float
    last_end_s: float
    frames: int = 0


class SegmentWriter:
    """Cuts one connection's packets into segments; hands each closed one to ``on_segment``."""

    def __init__(
        self,
        *,
        camera_id: int,
        in_stream: Any,
        out_dir: Path,
        segment_s: float,
        on_segment: Callable[[SegmentReport], None],
    ) -> None:
        self.camera_id = camera_id
        self.in_stream = in_stream
        self.codec = str(in_stream.codec_context.name)
        self.format, self.ext = container_for(self.codec)
        self.out_dir = out_dir
        self.segment_s = segment_s
        self.on_segment = on_segment
        self.time_base = Fraction(in_stream.time_base)
        self._anchor: tuple[float, float] | None = None  # (wall time, stream seconds)
        self._open: _Open | None = None

    def wall_time(self, pts_s: float) -> float:
        """The wall-clock time of stream time ``pts_s`` (anchored at the first packet)."""
        if self._anchor is None:
            self._anchor = (time.time(), pts_s)
        return self._anchor[0] + (pts_s - self._anchor[1])

    def write(self, packet: Any) -> bool:
        """Add a packet; a keyframe past the segment length starts a new segment.
        Returns whether the packet was stored (not before the first keyframe)."""
        if packet.dts is None or packet.size == 0:
            return False
        pts = packet.pts if packet.pts is not None else packet.dts
        pts_s = float(pts * self.time_base)
        current = self._open
        if current is None or (
            packet.is_keyframe and pts_s - current.first_pts_s >= self.segment_s
        ):
            if current is None and not packet.is_keyframe:
                return False  # a segment must start where a decoder can
            self.close()
            current = self._start(pts_s)
        duration_s = float((packet.duration or 0) * self.time_base)
        packet.stream = current.stream
        current.container.mux(packet)
        current.frames += 1
        current.last_end_s = max(current.last_end_s, pts_s + duration_s)
        return True

    def _start(self, pts_s: float) -> _Open:
        started = self.wall_time(pts_s)
        day = time.strftime("%Y%m%d", time.gmtime(started))
        stamp = time.strftime("%H%M%S", time.gmtime(started))
        name = f"{stamp}-{uuid.uuid4().hex[:8]}{self.ext}"
        final = self.out_dir / day / name
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".part-{name}")
        container = av.open(str(tmp), mode="w", format=self.format)
        stream = container.add_stream_from_template(self.in_stream)
        self._open = _Open(container, stream, tmp, final, started, pts_s, pts_s)
        return self._open

    def close(self) -> None:
        """Finish the current segment (if any), rename it into place and report it."""
        current, self._open = self._open, None
        if current is None:
            return
        try:
            current.container.close()
        except Exception:
            current.tmp.unlink(missing_ok=True)
            raise
        if current.frames == 0:
            current.tmp.unlink(missing_ok=True)
            return
        os.replace(current.tmp, current.final)
        ended = self.wall_time(current.last_end_s)
        self.on_segment(
            SegmentReport(
                camera_id=self.camera_id,
                path=str(current.final),
                started_at=current.started_at,
                ended_at=max(ended, current.started_at),
                frames=current.frames,
                size_bytes=current.final.stat().st_size,
                codec=self.codec,
            )
        )


def record(
    source: str,
    *,
    camera_id: int,
    out_dir: Path,
    segment_s: float,
    on_segment: Callable[[SegmentReport], None],
    stop: threading.Event,
    realtime: bool = False,
    timeout_s: float = 10.0,
) -> int:
    """Record ``source`` until it ends or ``stop`` is set; returns the packets copied.

    The last, partial segment is kept when the source ends or the recording is stopped;
    when the source fails mid-way it is kept too (what was received is evidence).

    Raises
    ------
    SourceError
        The source cannot be opened or read.
    """
    name = describe(source)
    container = _open_input(source, name, timeout_s)
    copied = 0
    try:
        if not container.streams.video:
            raise SourceError(f"video source {name}: has no video stream")
        in_stream = container.streams.video[0]
        writer = SegmentWriter(
            camera_id=camera_id,
            in_stream=in_stream,
            out_dir=out_dir,
            segment_s=segment_s,
            on_segment=on_segment,
        )
        pace = _Pacer() if realtime else None
        try:
            for packet in container.demux(in_stream):
                if stop.is_set():
                    break
                if pace is not None and packet.pts is not None:
                    pace.wait(float(packet.pts * writer.time_base))
                copied += writer.write(packet)
        except (av.FFmpegError, OSError, ValueError) as exc:
            writer.close()
            raise SourceError(
                f"video source {name}: read failed while recording: {_why(exc)}"
            ) from exc
        writer.close()
    finally:
        container.close()
    return copied


def _why(exc: BaseException) -> str:
    """The cause, without FFmpeg's copy of the URL (which may hold a password)."""
    strerror = getattr(exc, "strerror", None)
    return str(strerror) if strerror else type(exc).__name__


def _open_input(source: str, name: str, timeout_s: float) -> Any:
    options = {"rtsp_transport": "tcp"} if source.lower().startswith("rtsp") else {}
    try:
        return av.open(source, options=options, timeout=(timeout_s, timeout_s))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise SourceError(f"video source {name}: cannot open for recording: {_why(exc)}") from exc


class _Pacer:
    """Sleeps so that a file's packets arrive at the speed they were recorded."""

    def __init__(self) -> None:
        self._start: tuple[float, float] | None = None

    def wait(self, pts_s: float) -> None:
        now = time.monotonic()
        if self._start is None:
            self._start = (now, pts_s)
            return
        delay = self._start[0] + (pts_s - self._start[1]) - now
        if delay > 0:
            time.sleep(min(delay, 1.0))
