"""Redact a whole clip: analyse, apply the reviewer's edits, render, report.

:func:`redact_video` does it in one go; :func:`export` renders an earlier analysis,
:func:`preview` shows one frame as it will be exported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from signalfire.redaction import media
from signalfire.redaction.analysis import Analysis, Detector, Progress, analyse, sha256_of
from signalfire.redaction.errors import FrameOutOfRange, InvalidEdits, UnreadableVideo
from signalfire.redaction.faces import CenterFace
from signalfire.redaction.options import Edits, FrameRange, ManualBox, RedactionOptions
from signalfire.redaction.plan import FramePlan, build_plan
from signalfire.redaction.render import hide, render
from signalfire.redaction.report import ClipEntry, RedactionReport, build_report
from signalfire.redaction.stream import LiveAnalysis, LiveMasks


def plan_for(analysis: Analysis, edits: Edits) -> FramePlan:
    """The frame plan, decoding the clip again only if manual boxes need following."""
    check_edits(analysis, edits)
    grey = media.frames(analysis.input_path, fmt="gray") if edits.boxes else None
    return build_plan(analysis, edits, grey)


def check_edits(analysis: Analysis, edits: Edits) -> None:
    """Raise :class:`~signalfire.redaction.errors.InvalidEdits` for edits that name tracks
    or frames the clip does not have."""
    last = analysis.frame_count - 1
    for track_id in sorted(edits.removed_tracks):
        if analysis.track(track_id) is None:
            raise InvalidEdits(f"edits.removed_tracks: no track {track_id}")
    spans: list[tuple[str, int, ManualBox | FrameRange]] = [
        *(("boxes", n, b) for n, b in enumerate(edits.boxes)),
        *(("whole_frames", n, w) for n, w in enumerate(edits.whole_frames)),
    ]
    for where, n, span in spans:
        if span.start_frame > last:
            raise InvalidEdits(
                f"edits.{where}[{n}].start_frame: {span.start_frame} is past the last "
                f"frame ({last})"
            )


def export(
    analysis: Analysis,
    output_path: Path,
    *,
    edits: Edits | None = None,
    progress: Progress | None = None,
) -> RedactionReport:
    """Render ``analysis`` under ``edits`` to ``output_path`` and report it."""
    edits = edits or Edits()
    plan = plan_for(analysis, edits)
    frames = render(
        analysis.input_path,
        output_path,
        masks=plan,
        options=analysis.options,
        expected=lambda: len(plan.boxes),
        total=len(plan.boxes),
        progress=progress,
    )
    return _report(analysis, edits, plan, output_path, frames)


def _report(
    analysis: Analysis, edits: Edits, plan: FramePlan, output_path: Path, frames: int
) -> RedactionReport:
    info = analysis.info
    output = ClipEntry(
        name=output_path.name,
        sha256=sha256_of(output_path),
        frames=frames,
        width=info.width,
        height=info.height,
        fps=float(info.fps),
    )
    return build_report(analysis, edits, plan, output)


def redact_video(
    input_path: Path,
    output_path: Path,
    *,
    options: RedactionOptions | None = None,
    edits: Edits | None = None,
    progress: Progress | None = None,
    faces: Detector | None = None,
    plates: Detector | None = None,
) -> RedactionReport:
    """Hide every face (and, with ``options.plates``, moving text such as licence
    plates) in ``input_path`` and write H.264 MP4 to ``output_path``.

    Without removed tracks or manual boxes the render follows the analysis a few
    frames behind (:mod:`~signalfire.redaction.stream`); otherwise the analysis ends
    first. The output appears only when complete; a damaged input raises
    :class:`~signalfire.redaction.errors.UnreadableVideo` and leaves nothing behind.
    """
    options = options or RedactionOptions()
    edits = edits or Edits()
    info = media.probe(input_path)
    faces = faces or CenterFace()
    if edits.removed_tracks or edits.boxes:
        analysis = analyse(
            input_path, options=options, faces=faces, plates=plates, progress=progress
        )
        return export(analysis, output_path, edits=edits, progress=progress)
    for n, span in enumerate(edits.whole_frames):
        if info.frames and span.start_frame >= info.frames:
            raise InvalidEdits(
                f"edits.whole_frames[{n}].start_frame: {span.start_frame} is past the last "
                f"frame ({info.frames - 1})"
            )
    live = LiveAnalysis(input_path, options, faces, plates, progress)
    thread = live.start()
    try:
        frames = render(
            input_path,
            output_path,
            masks=LiveMasks(live, edits),
            options=options,
            expected=lambda: live.wait_for(2**62)[1],
            total=info.frames,
            progress=progress,
        )
    finally:
        with live.changed:
            live.stop = True
        thread.join()
    if live.result is None:
        raise UnreadableVideo(input_path, "could not be analysed to the end")
    analysis = live.result
    try:
        check_edits(analysis, edits)
    except InvalidEdits:
        output_path.unlink(missing_ok=True)
        raise
    return _report(analysis, edits, build_plan(analysis, edits, None), output_path, frames)


def preview(analysis: Analysis, plan: FramePlan, frame_index: int) -> NDArray[np.uint8]:
    """Frame ``frame_index`` as it will be exported (BGR)."""
    if not 0 <= frame_index < analysis.frame_count:
        last = analysis.frame_count - 1
        raise FrameOutOfRange(f"frame {frame_index} is outside the clip (0 to {last})")
    for index, image in enumerate(media.frames(analysis.input_path, fmt="bgr24")):
        if index == frame_index:
            return hide(image, plan, index, analysis.options)
    raise UnreadableVideo(analysis.input_path, f"ended before frame {frame_index}")
