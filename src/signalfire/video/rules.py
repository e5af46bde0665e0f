"""Rules that turn tracks and motion into hits: zones, lines, dwell, counts, after-hours motion.

Rules are pure: they see the confirmed tracks of each analysed frame, the frame's stream time
and local wall-clock time, and the motion gate's mask. They work in normalised image
coordinates (see :mod:`signalfire.video.config`), following each track's anchor point.

A track that is missing from a frame is not gone yet: trackers lose objects for a frame or
two, and a stay in a zone must not restart because of it. A track's state is forgotten only
after it has been unseen for ``lost_s`` seconds.

Cool-down: after a rule fires, it stays quiet for its ``cooldown_s`` seconds of stream time,
so one loiterer is one alert, not fifty. Line-crossing *counts* keep counting during the
cool-down; only the hits are held back.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray

from signalfire.video.config import (
    AfterHoursMotionRule,
    CountRule,
    DwellRule,
    LineRule,
    RuleConfig,
    ZoneRule,
)
from signalfire.video.geometry import Point, box_anchor, line_side, point_in_polygon
from signalfire.video.geometry import segments_intersect as crosses
from signalfire.video.motion import MotionResult
from signalfire.video.tracking import Track
from signalfire.vision.boxes import Box

Direction = str


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule firing: which rule, what happened, to which track, and where."""

    rule: str
    kind: str
    track_id: int | None
    boxes: list[Box]
    detail: str
    direction: Direction | None = None
    class_name: str | None = None


@dataclass(frozen=True, slots=True)
class Seen:
    """A track as the rules see it: its anchor point in normalised coordinates."""

    track: Track
    point: Point


@dataclass(frozen=True, slots=True)
class View:
    """One analysed frame as the rules see it."""

    tracks: list[Seen]
    time_s: float
    local_time: dt.time
    motion: MotionResult | None


S = TypeVar("S")


@dataclass(slots=True)
class _Memory(Generic[S]):
    state: S
    last_seen: float


class _PerTrack(Generic[S]):
    """Per-track state, forgotten ``lost_s`` after a track was last seen."""

    def __init__(self, lost_s: float) -> None:
        self.lost_s = lost_s
        self.memory: dict[int, _Memory[S]] = {}

    def forget_lost(self, now: float) -> None:
        for track_id in [k for k, m in self.memory.items() if now - m.last_seen > self.lost_s]:
            del self.memory[track_id]


def _wanted(classes: Sequence[str], track: Track) -> bool:
    return not classes or track.class_name in classes


def _label(seen: Seen) -> str:
    return f"{seen.track.class_name} #{seen.track.track_id}"


@dataclass(slots=True)
class _LineState:
    point: Point
    side: int


class LineCrossing(_PerTrack[_LineState]):
    """Counts each crossing of the line segment once, with its direction.

    A crossing is a step of the anchor point that goes from one side of the line to the
    other *through the drawn segment*; passing beside the segment's ends does not count.
    """

    def __init__(self, config: LineRule, lost_s: float) -> None:
        super().__init__(lost_s)
        self.config = config
        self.counts: dict[Direction, int] = {"left_to_right": 0, "right_to_left": 0}

    def step(self, view: View) -> list[Hit]:
        hits: list[Hit] = []
        for seen in view.tracks:
            if not _wanted(self.config.classes, seen.track):
                continue
            side = line_side(self.config.a, self.config.b, seen.point)
            memory = self.memory.get(seen.track.track_id)
            if memory is None:
                state = _LineState(seen.point, side)
                self.memory[seen.track.track_id] = _Memory(state, view.time_s)
                continue
            memory.last_seen = view.time_s
            hit = self._crossing(memory.state, seen, side)
            if hit is not None:
                hits.append(hit)
            memory.state.point = seen.point
            if side != 0:
                memory.state.side = side
        self.forget_lost(view.time_s)
        return hits

    def _crossing(self, state: _LineState, seen: Seen, side: int) -> Hit | None:
        """The hit for a step from ``state`` to ``seen`` when it crosses the segment."""
        if side == 0 or state.side == 0 or side == state.side:
            return None
        if not crosses(state.point, seen.point, self.config.a, self.config.b):
            return None
        direction = "left_to_right" if state.side < 0 else "right_to_left"
        self.counts[direction] += 1
        if self.config.direction not in ("any", direction):
            return None
        arrow = "left→right" if direction == "left_to_right" else "right→left"
        return Hit(
            rule=self.config.name,
            kind="line_crossing",
            track_id=seen.track.track_id,
            boxes=[seen.track.box],
            detail=f"{_label(seen)} crossed line '{self.config.name}' {arrow}",
            direction=direction,
            class_name=seen.track.class_name,
        )


class ZoneCrossing(_PerTrack[bool]):
    """Fires when a track enters the zone (or first appears inside it) and/or leaves it."""

    def __init__(self, config: ZoneRule, lost_s: float) -> None:
        super().__init__(lost_s)
        self.config = config
        self.polygon = config.polygon

    def step(self, view: View) -> list[Hit]:
        hits: list[Hit] = []
        for seen in view.tracks:
            if not _wanted(self.config.classes, seen.track):
                continue
            inside = point_in_polygon(seen.point, self.polygon)
            memory = self.memory.get(seen.track.track_id)
            was_inside = memory.state if memory is not None else False
            self.memory[seen.track.track_id] = _Memory(inside, view.time_s)
            if inside == was_inside:
                continue
            event = "enter" if inside else "exit"
            if event in self.config.on:
                verb = "entered" if inside else "left"
                hits.append(
                    Hit(
                        rule=self.config.name,
                        kind=f"zone_{event}",
                        track_id=seen.track.track_id,
                        boxes=[seen.track.box],
                        detail=f"{_label(seen)} {verb} zone '{self.config.name}'",
                        class_name=seen.track.class_name,
                    )
                )
        self.forget_lost(view.time_s)
        return hits


@dataclass(slots=True)
class _Stay:
    since: float
    fired: bool = False
    outside_since: float | None = None


EXIT_GRACE_S = 1.0
"""A stay ends only after this long outside the zone: a box that jitters across the
border for a frame or two has not left."""


class Dwell(_PerTrack[_Stay]):
    """Fires once per stay, when a track has been in the zone for ``seconds``."""

    def __init__(self, config: DwellRule, lost_s: float) -> None:
        super().__init__(lost_s)
        self.config = config
        self.polygon = config.polygon

    def step(self, view: View) -> list[Hit]:
        hits: list[Hit] = []
        for seen in view.tracks:
            if not _wanted(self.config.classes, seen.track):
                continue
            track_id = seen.track.track_id
            inside = point_in_polygon(seen.point, self.polygon)
            memory = self.memory.get(track_id)
            if memory is None and not inside:
                continue
            if memory is None:
                memory = self.memory[track_id] = _Memory(_Stay(view.time_s), view.time_s)
            memory.last_seen = view.time_s
            if not inside:
                memory.state.outside_since = memory.state.outside_since or view.time_s
                if view.time_s - memory.state.outside_since > EXIT_GRACE_S:
                    del self.memory[track_id]
                continue
            away = memory.state.outside_since
            if away is not None and view.time_s - away > EXIT_GRACE_S:
                memory.state = _Stay(view.time_s)  # was out long enough: a new stay
            memory.state.outside_since = None
            stayed = view.time_s - memory.state.since
            if not memory.state.fired and stayed >= self.config.seconds:
                memory.state.fired = True
                hits.append(
                    Hit(
                        rule=self.config.name,
                        kind="dwell",
                        track_id=track_id,
                        boxes=[seen.track.box],
                        detail=(
                            f"{_label(seen)} stayed {stayed:.0f} s in zone '{self.config.name}'"
                            f" (limit {self.config.seconds:g} s)"
                        ),
                        class_name=seen.track.class_name,
                    )
                )
        self.forget_lost(view.time_s)
        return hits


class Crowding:
    """Fires when the count of tracks in the zone reaches the threshold, and re-arms below it."""

    def __init__(self, config: CountRule) -> None:
        self.config = config
        self.polygon = config.polygon
        self.above = False

    def step(self, view: View) -> list[Hit]:
        inside = [
            s
            for s in view.tracks
            if _wanted(self.config.classes, s.track)
            and (self.polygon is None or point_in_polygon(s.point, self.polygon))
        ]
        if len(inside) < self.config.threshold:
            self.above = False
            return []
        if self.above:
            return []
        self.above = True
        where = f"zone '{self.config.name}'" if self.polygon else "the picture"
        return [
            Hit(
                rule=self.config.name,
                kind="crowding",
                track_id=None,
                boxes=[s.track.box for s in inside],
                detail=f"{len(inside)} objects in {where} (threshold {self.config.threshold})",
            )
        ]


class AfterHoursMotion:
    """Fires when enough of the masked area moves during the configured hours."""

    def __init__(self, config: AfterHoursMotionRule) -> None:
        self.config = config
        self._mask: NDArray[np.uint8] | None = None

    def step(self, view: View) -> list[Hit]:
        motion = view.motion
        if motion is None or not self.config.active_at(view.local_time):
            return []
        mask = self._area(motion.mask.shape[1], motion.mask.shape[0])
        area = int(np.count_nonzero(mask))
        moving = int(np.count_nonzero(cv2.bitwise_and(motion.mask, mask)))
        share = moving / area if area else 0.0
        if share < self.config.min_fraction:
            return []
        boxes = [r for r in motion.regions if self._covers(mask, r, motion.scale)] or motion.regions
        return [
            Hit(
                rule=self.config.name,
                kind="after_hours_motion",
                track_id=None,
                boxes=boxes,
                detail=(
                    f"motion in '{self.config.name}' at {view.local_time:%H:%M} "
                    f"({share:.0%} of the area; hours {self.config.start:%H:%M}"
                    f" to {self.config.end:%H:%M})"
                ),
            )
        ]

    def _area(self, width: int, height: int) -> NDArray[np.uint8]:
        if self._mask is None or self._mask.shape != (height, width):
            mask = np.zeros((height, width), dtype=np.uint8)
            points = np.array([[x * width, y * height] for x, y in self.config.polygon])
            cv2.fillPoly(mask, [points.round().astype(np.int32)], 255)
            self._mask = mask
        return self._mask

    @staticmethod
    def _covers(mask: NDArray[np.uint8], region: Box, scale: float) -> bool:
        x1, y1, x2, y2 = (int(v / scale) for v in region)
        return bool(np.any(mask[y1 : max(y2, y1 + 1), x1 : max(x2, x1 + 1)]))


_EDGE = 1.0 - 1e-9

Evaluator = LineCrossing | ZoneCrossing | Dwell | Crowding | AfterHoursMotion


def _evaluator(config: RuleConfig, lost_s: float) -> Evaluator:
    if isinstance(config, LineRule):
        return LineCrossing(config, lost_s)
    if isinstance(config, ZoneRule):
        return ZoneCrossing(config, lost_s)
    if isinstance(config, DwellRule):
        return Dwell(config, lost_s)
    if isinstance(config, CountRule):
        return Crowding(config)
    return AfterHoursMotion(config)


@dataclass
class RuleEngine:
    """All of one camera's rules, with their cool-downs.

    Parameters
    ----------
    rules
        The rule configs, in the order their hits are reported.
    anchor
        ``"bottom"`` or ``"center"`` of each track's box.
    lost_s
        Forget a track's state after it has been unseen this long.
    timezone
        IANA zone that after-hours rules read the clock in.
    """

    rules: Sequence[RuleConfig]
    anchor: str = "bottom"
    lost_s: float = 2.0
    timezone: str = "UTC"
    evaluators: list[Evaluator] = field(init=False)
    last_fired: dict[str, float] = field(init=False, default_factory=dict)
    suppressed: dict[str, int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.evaluators = [_evaluator(rule, self.lost_s) for rule in self.rules]
        self._zone = zoneinfo.ZoneInfo(self.timezone)

    def evaluate(
        self,
        tracks: Sequence[Track],
        *,
        size: tuple[int, int],
        time_s: float,
        wall_time: float,
        motion: MotionResult | None = None,
    ) -> list[Hit]:
        """Hits for one frame of ``size`` (width, height) at stream time ``time_s``."""
        width, height = size
        seen = []
        for track in tracks:
            x, y = box_anchor(track.box, self.anchor)
            # Just inside the picture, so a zone drawn to its edge holds boxes that touch it.
            point = (min(max(x / width, 0.0), _EDGE), min(max(y / height, 0.0), _EDGE))
            seen.append(Seen(track, point))
        local = dt.datetime.fromtimestamp(wall_time, self._zone).time()
        view = View(tracks=seen, time_s=time_s, local_time=local, motion=motion)
        hits: list[Hit] = []
        for evaluator in self.evaluators:
            for hit in evaluator.step(view):
                if self._cooling(evaluator.config.cooldown_s, hit.rule, time_s):
                    self.suppressed[hit.rule] = self.suppressed.get(hit.rule, 0) + 1
                    continue
                self.last_fired[hit.rule] = time_s
                hits.append(hit)
        return hits

    def _cooling(self, cooldown_s: float, rule: str, time_s: float) -> bool:
        last = self.last_fired.get(rule)
        return last is not None and time_s - last < cooldown_s

    @property
    def line_counts(self) -> dict[str, dict[Direction, int]]:
        """Crossings so far per line rule and direction (cool-downs do not hide any)."""
        lines = [e for e in self.evaluators if isinstance(e, LineCrossing)]
        return {e.config.name: dict(e.counts) for e in lines}
