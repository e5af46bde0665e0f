"""Per-camera analysis settings: one JSON-serialisable :class:`PipelineConfig`.

Zones, lines and masks are drawn in **normalised image coordinates**: ``(0, 0)`` is the
top-left corner of the picture and ``(1, 1)`` the bottom-right, so a drawing survives a
change of stream resolution. Rules follow each track's anchor point, by default the bottom
centre of its box (where a person or vehicle meets the ground).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NormPoint = tuple[Annotated[float, Field(ge=0.0, le=1.0)], Annotated[float, Field(ge=0.0, le=1.0)]]
Polygon = Annotated[list[NormPoint], Field(min_length=3, max_length=64)]
ZoneEvent = Literal["enter", "exit"]
RuleName = Annotated[str, Field(pattern=r"^[\w .:-]{1,60}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MotionConfig(_Model):
    """The motion gate in front of the detector."""

    width: int = Field(320, ge=64, le=1920, description="width of the grey copy, in pixels")
    min_area: float = Field(
        0.002, gt=0.0, lt=1.0, description="smallest moving region, as a share of the picture"
    )
    history: int = Field(250, ge=10, description="frames the background model remembers")
    var_threshold: float = Field(32.0, gt=0.0, description="MOG2 foreground threshold")
    keepalive_s: float = Field(
        2.0, gt=0.0, description="while objects are tracked, run the detector at least this often"
    )


class DetectorConfig(_Model):
    """Which detector plug-in runs when the gate sees motion."""

    kind: Literal["motion", "hog_person", "yolo"] = Field("motion", description="plug-in")
    model_path: str | None = Field(None, description="YOLO: path of the .onnx model file")
    class_names: list[str] = Field(
        default_factory=list, description="YOLO: the model's class names in training order"
    )
    layout: Literal["auto", "v5", "v8"] = Field("auto", description="YOLO: output layout")
    confidence: float = Field(0.5, ge=0.0, le=1.0, description="lowest detection score kept")
    iou_threshold: float = Field(0.45, gt=0.0, le=1.0, description="YOLO: NMS overlap")
    classes: list[str] = Field(
        default_factory=list, description="keep only these classes (empty: all)"
    )

    @model_validator(mode="after")
    def _yolo_needs_model(self) -> DetectorConfig:
        if self.kind == "yolo" and (not self.model_path or not self.class_names):
            raise ValueError("detector 'yolo' needs model_path and class_names")
        return self


class TrackerConfig(_Model):
    """ByteTrack settings (motion and box overlap only; no appearance features)."""

    lost_s: float = Field(2.0, ge=0.0, description="keep an unseen track this long")
    min_hits: int = Field(2, ge=1, description="detections before a track gets an id")
    match_iou: float = Field(0.1, gt=0.0, lt=1.0, description="least overlap to match a track")
    high_score: float = Field(0.5, ge=0.0, le=1.0, description="first-stage detection score")


class _Rule(_Model):
    name: RuleName
    cooldown_s: float = Field(30.0, ge=0.0, description="quiet time after this rule fires")
    classes: list[str] = Field(default_factory=list, description="only these classes (empty: all)")


class ZoneRule(_Rule):
    """An object enters or leaves a zone."""

    type: Literal["zone"] = "zone"
    polygon: Polygon
    on: list[ZoneEvent] = Field(default_factory=lambda: list[ZoneEvent](["enter"]), min_length=1)


class LineRule(_Rule):
    """An object crosses a line drawn from ``a`` to ``b``.

    Sides are named as seen standing on ``a`` looking at ``b`` on the picture.
    """

    type: Literal["line"] = "line"
    a: NormPoint
    b: NormPoint
    direction: Literal["any", "left_to_right", "right_to_left"] = "any"

    @model_validator(mode="after")
    def _distinct(self) -> LineRule:
        if self.a == self.b:
            raise ValueError(f"line {self.name!r}: a and b are the same point")
        return self


class DwellRule(_Rule):
    """An object stays in a zone longer than ``seconds`` (once per stay)."""

    type: Literal["dwell"] = "dwell"
    polygon: Polygon
    seconds: float = Field(gt=0.0)


class CountRule(_Rule):
    """At least ``threshold`` objects are in the zone (the whole picture without one)."""

    type: Literal["count"] = "count"
    polygon: Polygon | None = None
    threshold: int = Field(ge=1)


class AfterHoursMotionRule(_Rule):
    """Motion inside a masked area between ``start`` and ``end`` local time."""

    type: Literal["after_hours_motion"] = "after_hours_motion"
    polygon: Polygon
    start: dt.time
    end: dt.time
    min_fraction: float = Field(
        0.02, gt=0.0, le=1.0, description="share of the masked area that must move"
    )

    def active_at(self, local: dt.time) -> bool:
        """Whether ``local`` falls in the hours (which may wrap past midnight).

        >>> rule = AfterHoursMotionRule(
        ...     name="yard", polygon=[(0, 0), (1, 0), (1, 1)], start="22:00", end="06:00"
        ... )
        >>> rule.active_at(dt.time(23, 30)), rule.active_at(dt.time(5)), rule.active_at(dt.time(12))
        (True, True, False)
        """
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


RuleConfig = Annotated[
    ZoneRule | LineRule | DwellRule | CountRule | AfterHoursMotionRule,
    Field(discriminator="type"),
]


class PipelineConfig(_Model):
    """Everything one camera's analysis needs; stored with the camera as JSON."""

    fps: float = Field(5.0, gt=0.0, le=30.0, description="frames analysed per second")
    motion: MotionConfig = MotionConfig()
    detector: DetectorConfig = DetectorConfig()
    tracker: TrackerConfig = TrackerConfig()
    anchor: Literal["bottom", "center"] = Field("bottom", description="point rules follow")
    timezone: str = Field("UTC", description="IANA zone for after-hours rules")
    rules: list[RuleConfig] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> PipelineConfig:
        names = [rule.name for rule in self.rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique: {', '.join(duplicates)}")
        return self
