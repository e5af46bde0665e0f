"""What a redaction does (options) and what a reviewer changed (edits)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from signalfire.redaction.blur import Method
from signalfire.vision.boxes import Box


class RedactionOptions(BaseModel):
    """How faces are found and hidden, and how the output is encoded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scale: int | None = Field(
        360, ge=64, le=2160, description="Detection frame height in pixels (None: native)."
    )
    threshold: float = Field(0.2, gt=0, lt=1, description="CenterFace score threshold.")
    detect_every: int = Field(
        1, ge=1, le=5, description="Run the detector on every n-th frame; tracks fill the rest."
    )
    hold: int = Field(
        6,
        ge=0,
        le=60,
        description="Frames a mask is held before a track's first and after its last detection.",
    )
    max_gap: int = Field(
        15, ge=1, le=120, description="Undetected frames a track bridges by interpolation."
    )
    method: Method = Field("blur", description="blur, pixelate or black.")
    margin: float = Field(
        0.3, ge=0, le=1, description="Mask margin around each box, as a share of its size."
    )
    plates: bool = Field(False, description="Also hide moving text regions such as licence plates.")
    mute: bool = Field(False, description="Drop the audio instead of copying it.")
    crf: int = Field(20, ge=0, le=51, description="H.264 constant rate factor.")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] = Field(
        "veryfast", description="x264 speed preset."
    )


class ManualBox(BaseModel):
    """A region the reviewer marked on ``start_frame``; followed forward when ``follow``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_frame: int = Field(ge=0)
    end_frame: int = Field(ge=0)
    box: Box = Field(description="x1, y1, x2, y2 in pixels.")
    follow: bool = Field(True, description="Track the region forward from start_frame.")
    note: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> ManualBox:
        x1, y1, x2, y2 = self.box
        if self.end_frame < self.start_frame:
            raise ValueError("end_frame must not be before start_frame")
        if x2 <= x1 or y2 <= y1:
            raise ValueError("box must be x1, y1, x2, y2 with x2 > x1 and y2 > y1")
        return self


class FrameRange(BaseModel):
    """Frames hidden whole (a screen, a document, a crowd too dense to track)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_frame: int = Field(ge=0)
    end_frame: int = Field(ge=0)
    note: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> FrameRange:
        if self.end_frame < self.start_frame:
            raise ValueError("end_frame must not be before start_frame")
        return self


class Edits(BaseModel):
    """A reviewer's corrections to the automatic result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    removed_tracks: frozenset[int] = Field(
        frozenset(), description="Track ids left unmasked (false detections)."
    )
    boxes: tuple[ManualBox, ...] = ()
    whole_frames: tuple[FrameRange, ...] = ()
