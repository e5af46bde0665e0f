"""The redaction report: every track with its span, every edit, options and hashes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from signalfire.redaction.analysis import Analysis
from signalfire.redaction.options import Edits, FrameRange, ManualBox, RedactionOptions
from signalfire.redaction.plan import FramePlan
from signalfire.vision.boxes import Box


class TrackEntry(BaseModel):
    """One tracked face or plate."""

    model_config = ConfigDict(frozen=True)

    track_id: int
    kind: Literal["face", "plate"]
    first_detected: int
    last_detected: int
    detections: int
    status: Literal["kept", "removed"]
    masked_from: int | None  # frame span masked, holds included; None when removed
    masked_to: int | None


class ManualEntry(BaseModel):
    """A reviewer's box and where it was followed."""

    model_config = ConfigDict(frozen=True)

    edit: ManualBox
    frames_masked: int
    last_box: Box | None


class ClipEntry(BaseModel):
    """A file going in or coming out."""

    model_config = ConfigDict(frozen=True)

    name: str
    sha256: str
    frames: int
    width: int
    height: int
    fps: float


class RedactionReport(BaseModel):
    """What was hidden in an export, for the case file."""

    model_config = ConfigDict(frozen=True)

    input: ClipEntry
    output: ClipEntry | None
    options: RedactionOptions
    tracks: list[TrackEntry]
    manual_boxes: list[ManualEntry]
    whole_frames: list[FrameRange]
    frames_masked: int
    audio: Literal["kept", "muted", "none"]


def track_entries(analysis: Analysis, edits: Edits, plan: FramePlan | None) -> list[TrackEntry]:
    """The tracks of ``analysis`` with their status under ``edits``."""
    entries = []
    for track in analysis.tracks:
        removed = track.track_id in edits.removed_tracks
        span = None if removed or plan is None else plan.track_spans.get(track.track_id)
        entries.append(
            TrackEntry(
                track_id=track.track_id,
                kind=track.kind,
                first_detected=track.first,
                last_detected=track.last,
                detections=len(track.frames),
                status="removed" if removed else "kept",
                masked_from=span[0] if span else None,
                masked_to=span[1] if span else None,
            )
        )
    return entries


def build_report(
    analysis: Analysis, edits: Edits, plan: FramePlan, output: ClipEntry | None
) -> RedactionReport:
    """The report of an export of ``analysis`` under ``edits``."""
    info = analysis.info
    manual = [
        ManualEntry(
            edit=edit,
            frames_masked=len(placed),
            last_box=placed[max(placed)] if placed else None,
        )
        for edit, placed in zip(edits.boxes, plan.manual, strict=True)
    ]
    if not info.has_audio:
        audio: Literal["kept", "muted", "none"] = "none"
    else:
        audio = "muted" if analysis.options.mute else "kept"
    return RedactionReport(
        input=ClipEntry(
            name=analysis.input_path.name,
            sha256=analysis.input_sha256,
            frames=analysis.frame_count,
            width=info.width,
            height=info.height,
            fps=float(info.fps),
        ),
        output=output,
        options=analysis.options,
        tracks=track_entries(analysis, edits, plan),
        manual_boxes=manual,
        whole_frames=list(edits.whole_frames),
        frames_masked=plan.frames_masked(),
        audio=audio,
    )
