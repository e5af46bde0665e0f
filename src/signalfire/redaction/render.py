"""Final pass: hide what the masks say on every frame and encode H.264 MP4."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import av
import av.container
import numpy as np
from numpy.typing import NDArray

from signalfire.redaction import media
from signalfire.redaction.analysis import Progress
from signalfire.redaction.blur import redact_regions, redact_whole, redact_yuv420, yuv420_planes
from signalfire.redaction.errors import UnreadableVideo
from signalfire.redaction.options import RedactionOptions


class Masks(Protocol):
    """What to hide, frame by frame (a whole plan, or one that follows the analysis)."""

    def at(self, index: int) -> tuple[list[NDArray[np.float64]], bool]:
        """Boxes to hide on frame ``index`` and whether to hide it whole."""
        ...


def hide(
    image: NDArray[np.uint8], masks: Masks, index: int, options: RedactionOptions
) -> NDArray[np.uint8]:
    """``image`` (frame ``index``, BGR) with the masks applied."""
    boxes, whole = masks.at(index)
    if whole:
        return redact_whole(image, method=options.method)
    return redact_regions(image, boxes, method=options.method, margin=options.margin)


def render(
    source: Path,
    target: Path,
    *,
    masks: Masks,
    options: RedactionOptions,
    expected: Callable[[], int],
    total: int = 0,
    progress: Progress | None = None,
) -> int:
    """Write the redacted clip to ``target`` (atomically) and return its frame count,
    which must equal ``expected()`` (the frames the analysis saw)."""
    written = 0
    with media.atomic_output(target) as temp:
        with (
            media.open_input(source) as container,
            av.open(str(temp), mode="w", format="mp4") as output,
            media.decoding_errors(source),
        ):
            encoder = media.Encoder(
                output,
                container,
                crf=options.crf,
                preset=options.preset,
                keep_audio=not options.mute,
            )
            video = container.streams.video[0]
            video.thread_type = "AUTO"
            streams = [video] + ([encoder.audio_in] if encoder.audio_in is not None else [])
            for item in media.prefetch(_decoded(container, streams)):
                if isinstance(item, av.Packet):
                    encoder.write_audio(item)
                    continue
                encoder.write(_redacted(item, *masks.at(written), options))
                written += 1
                if progress is not None:
                    progress("render", written, total)
            encoder.close()
        analysed = expected()
        if written != analysed:
            raise UnreadableVideo(
                source, f"decoded to {written} frames now but {analysed} when analysed"
            )
    return written


def _decoded(
    container: av.container.InputContainer, streams: list[Any]
) -> Iterator[av.VideoFrame | av.Packet[Any]]:
    """The video frames, decoded, and the audio packets, as they come."""
    for packet in container.demux(streams):
        if packet.stream.type == "audio":
            yield packet
            continue
        for frame in packet.decode():
            assert isinstance(frame, av.VideoFrame)  # a video packet's frames
            yield frame


def _redacted(
    frame: av.VideoFrame,
    boxes: list[NDArray[np.float64]],
    whole: bool,
    options: RedactionOptions,
) -> av.VideoFrame:
    if not whole and not boxes:
        return frame
    if frame.format.name != "yuv420p" or frame.width % 2 or frame.height % 2:
        image = np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
        if whole:
            hidden = redact_whole(image, method=options.method)
        else:
            hidden = redact_regions(image, boxes, method=options.method, margin=options.margin)
        return av.VideoFrame.from_ndarray(hidden, format="bgr24")
    # Masked in the decoder's own YUV planes: no conversion to BGR and back.
    buffer = np.asarray(frame.to_ndarray(format="yuv420p"), dtype=np.uint8)
    if whole:
        hidden = buffer.copy()
        for plane, fill in zip(yuv420_planes(hidden), (16, 128, 128), strict=True):
            plane[:] = redact_whole(plane, method=options.method, fill=fill)
    else:
        hidden = redact_yuv420(buffer, boxes, method=options.method, margin=options.margin)
    return av.VideoFrame.from_ndarray(hidden, format="yuv420p")
