"""Join recorded segments into one clip by remuxing (no re-encoding).

Segments start on keyframes, so a clip is made of whole segments: it covers the asked
range and at most one segment length either side of it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from signalfire.cameras.recordings.segment_writer import container_for
from signalfire.core.errors import Conflict


def _signature(stream: Any) -> tuple[str, int, int]:
    ctx = stream.codec_context
    return str(ctx.name), int(ctx.width), int(ctx.height)


def concatenate(segments: Sequence[Path], out: Path) -> int:
    """Write ``segments`` one after another into ``out``; returns the packets copied.

    Timestamps are rebased so the clip plays as one; every segment must carry the same
    codec and picture size. ``out`` appears only when complete.
    """
    if not segments:
        raise Conflict("no recording covers that time range")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=".part-", suffix=out.suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        copied = _remux_all(segments, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return copied


def _remux_all(segments: Sequence[Path], target: Path) -> int:
    with av.open(str(segments[0])) as first:
        template = first.streams.video[0]
        signature = _signature(template)
        fmt, _ext = container_for(signature[0])
        with av.open(str(target), mode="w", format=fmt) as output:
            stream = output.add_stream_from_template(template)
            cursor = Fraction(0)
            copied = 0
            for path in segments:
                cursor, count = _append(path, output, stream, signature, cursor)
                copied += count
    return copied


def _append(
    path: Path, output: Any, stream: Any, signature: tuple[str, int, int], cursor: Fraction
) -> tuple[Fraction, int]:
    """Copy one segment's packets after ``cursor`` (seconds); returns the new end."""
    with av.open(str(path)) as source:
        in_stream = source.streams.video[0]
        if _signature(in_stream) != signature:
            raise Conflict(
                f"the recording changed codec or picture size at {path.name}; "
                "export the parts before and after separately"
            )
        base = Fraction(in_stream.time_base or Fraction(1, 90000))
        offset: int | None = None
        end = cursor
        count = 0
        for packet in source.demux(in_stream):
            if packet.dts is None or packet.size == 0:
                continue
            if offset is None:
                offset = packet.dts - round(cursor / base)
            packet.dts -= offset
            packet.pts = (packet.pts if packet.pts is not None else packet.dts + offset) - offset
            end = max(end, (packet.pts + (packet.duration or 0)) * base)
            packet.stream = stream
            output.mux(packet)
            count += 1
    return end, count
