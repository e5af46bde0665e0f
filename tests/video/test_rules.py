"""Rules on synthetic tracks: zones, lines, dwell, counts, after-hours motion, cool-downs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pytest
from pydantic import ValidationError

from signalfire.video.config import (
    AfterHoursMotionRule,
    CountRule,
    DwellRule,
    LineRule,
    PipelineConfig,
    RuleConfig,
    ZoneRule,
)
from signalfire.video.motion import MotionResult
from signalfire.video.pipeline import EVENT_KINDS
from signalfire.video.rules import Hit, RuleEngine
from signalfire.video.tracking import Track

SIZE = (1000, 500)  # pixels; rules work in 0..1, so x / 1000 and y / 500
SQUARE = [(0.2, 0.2), (0.6, 0.2), (0.6, 0.8), (0.2, 0.8)]
NOON_UTC = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC).timestamp()


def track(track_id: int, x: float, y: float, class_name: str = "person") -> Track:
    """A 20 x 40 px box whose bottom centre is at pixel (x, y)."""
    return Track(track_id, (x - 10, y - 40, x + 10, y), class_name, 0.9)


def play(
    engine: RuleEngine,
    frames: Iterable[tuple[float, list[Track]]],
    *,
    wall_time: float = NOON_UTC,
    motion: MotionResult | None = None,
) -> list[tuple[float, Hit]]:
    hits = []
    for time_s, tracks in frames:
        for hit in engine.evaluate(
            tracks, size=SIZE, time_s=time_s, wall_time=wall_time + time_s, motion=motion
        ):
            hits.append((time_s, hit))
    return hits


def walk(
    track_id: int,
    start: tuple[float, float],
    end: tuple[float, float],
    t0: float,
    t1: float,
    fps: float = 5.0,
) -> list[tuple[float, list[Track]]]:
    steps = round((t1 - t0) * fps)
    frames = []
    for i in range(steps + 1):
        f = i / steps
        x = start[0] + f * (end[0] - start[0])
        y = start[1] + f * (end[1] - start[1])
        frames.append((t0 + i / fps, [track(track_id, x, y)]))
    return frames


def engine(*rules: RuleConfig, lost_s: float = 2.0) -> RuleEngine:
    return RuleEngine(rules, anchor="bottom", lost_s=lost_s)


# --- lines -----------------------------------------------------------------------------

HORIZON = LineRule(name="gate", a=(0.1, 0.5), b=(0.9, 0.5), cooldown_s=0)


def test_line_side_names_follow_the_drawing_direction() -> None:
    # Drawn left to right: standing on a looking at b, the top of the picture is the left.
    down = play(engine(HORIZON), walk(1, (500, 100), (500, 400), 0, 2))
    up = play(engine(HORIZON), walk(2, (500, 400), (500, 100), 0, 2))
    assert [h.direction for _, h in down] == ["left_to_right"]
    assert [h.direction for _, h in up] == ["right_to_left"]
    assert down[0][1].kind == "line_crossing"
    assert down[0][1].track_id == 1


def test_back_and_forth_counts_every_crossing_once() -> None:
    rule = engine(HORIZON)
    frames = (
        walk(1, (500, 100), (500, 400), 0, 2)
        + walk(1, (500, 400), (500, 100), 2.2, 4)
        + walk(1, (500, 100), (500, 400), 4.2, 6)
    )
    hits = play(rule, frames)
    assert [h.direction for _, h in hits] == ["left_to_right", "right_to_left", "left_to_right"]
    assert rule.line_counts == {"gate": {"left_to_right": 2, "right_to_left": 1}}


def test_standing_on_the_line_is_not_a_crossing() -> None:
    frames = walk(1, (500, 100), (500, 250), 0, 1) + [
        (1.2 + i / 5, [track(1, 500, 250)]) for i in range(10)
    ]
    frames += walk(1, (500, 250), (500, 100), 3.4, 4)
    rule = engine(HORIZON)
    assert play(rule, frames) == []
    assert rule.line_counts["gate"] == {"left_to_right": 0, "right_to_left": 0}


def test_passing_beyond_the_end_of_the_line_is_not_a_crossing() -> None:
    assert play(engine(HORIZON), walk(1, (960, 100), (960, 400), 0, 2)) == []


def test_line_class_filter() -> None:
    rule = LineRule(name="gate", a=(0.1, 0.5), b=(0.9, 0.5), cooldown_s=0, classes=["car"])
    assert play(engine(rule), walk(1, (500, 100), (500, 400), 0, 2)) == []


def test_cooldown_suppresses_repeats_then_lets_the_next_through() -> None:
    rule = LineRule(name="gate", a=(0.1, 0.5), b=(0.9, 0.5), cooldown_s=10)
    rules = engine(rule)
    frames = []
    for n, t0 in enumerate([0, 3, 6, 12]):  # four people walking down, one after another
        frames += walk(n + 1, (500, 100), (500, 400), t0, t0 + 2)
    hits = play(rules, frames)
    # Crossings at about 1, 4, 7 and 13 s: the 4 s and 7 s ones fall in the first cool-down.
    assert [h.track_id for _, h in hits] == [1, 4]
    assert rules.suppressed == {"gate": 2}
    assert rules.line_counts["gate"]["left_to_right"] == 4


# --- zones and dwell --------------------------------------------------------------------


def test_zone_enter_and_exit() -> None:
    rule = ZoneRule(name="platform", polygon=SQUARE, on=["enter", "exit"], cooldown_s=0)
    hits = play(engine(rule), walk(7, (100, 250), (900, 250), 0, 4))
    assert [(h.kind, h.track_id) for _, h in hits] == [("zone_enter", 7), ("zone_exit", 7)]
    # The box's bottom centre enters x = 200 px at 0.5 s and leaves x = 600 px at 2.5 s.
    assert [t for t, _ in hits] == [pytest.approx(0.6), pytest.approx(2.6)]
    assert hits[0][1].detail == "person #7 entered zone 'platform'"


def test_appearing_inside_a_zone_is_an_entry() -> None:
    rule = ZoneRule(name="platform", polygon=SQUARE, cooldown_s=0)
    hits = play(engine(rule), [(0.0, [track(3, 400, 250)]), (0.2, [track(3, 410, 250)])])
    assert [(h.kind, h.track_id) for _, h in hits] == [("zone_enter", 3)]


def loiter(track_id: int, t0: float, t1: float) -> list[tuple[float, list[Track]]]:
    """Standing inside SQUARE (pixels 200..600 x 100..400), swaying a little."""
    return [
        (t0 + i / 5, [track(track_id, 400 + 5 * np.sin(i), 300)])
        for i in range(round((t1 - t0) * 5) + 1)
    ]


DWELL = DwellRule(name="bench", polygon=SQUARE, seconds=5, cooldown_s=0)


def test_dwell_fires_once_per_stay() -> None:
    rules = engine(DWELL)
    frames = (
        loiter(1, 0, 12)  # a 12 s stay: one event at 5 s, not one per frame after it
        + walk(1, (400, 300), (900, 300), 12.2, 13)  # leaves
        + [(15.0 + i / 5, []) for i in range(5)]
        + loiter(1, 17, 20)  # back for 3 s only: no event
        + walk(1, (400, 300), (900, 300), 20.2, 21)
        + loiter(1, 22, 30)  # a third stay, long again: a second event
    )
    hits = play(rules, frames)
    assert [(round(t, 3), h.kind, h.track_id) for t, h in hits] == [
        (5.0, "dwell", 1),
        (27.0, "dwell", 1),
    ]
    assert "stayed 5 s in zone 'bench' (limit 5 s)" in hits[0][1].detail


def test_dwell_survives_a_track_missing_for_a_moment() -> None:
    frames = [*loiter(1, 0, 2), (2.2, []), (2.4, []), (2.6, []), *loiter(1, 2.8, 6)]
    hits = play(engine(DWELL, lost_s=2.0), frames)
    assert [t for t, _ in hits] == [pytest.approx(5.0)]


def test_dwell_ignores_a_moment_across_the_border() -> None:
    frames = [*loiter(1, 0, 3), (3.2, [track(1, 650, 300)]), *loiter(1, 3.4, 6)]
    hits = play(engine(DWELL), frames)
    assert [t for t, _ in hits] == [pytest.approx(5.0)]


def test_zone_drawn_to_the_picture_edge_holds_boxes_touching_it() -> None:
    bottom = DwellRule(
        name="kerb", polygon=[(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)], seconds=2
    )
    frames = [(i / 5, [track(1, 999.5 if i % 2 else 300, 500)]) for i in range(16)]
    hits = play(engine(bottom), frames)
    assert [t for t, _ in hits] == [pytest.approx(2.0)]


def test_dwell_restarts_after_the_track_was_lost() -> None:
    # 4 s in the zone, unseen for 3 s (more than lost_s), then back: a new stay from 7.4 s.
    frames = loiter(1, 0, 4) + [(4.2 + i / 5, []) for i in range(15)] + loiter(1, 7.4, 13)
    hits = play(engine(DWELL, lost_s=2.0), frames)
    assert [t for t, _ in hits] == [pytest.approx(12.4)]


def test_dwell_cooldown_spans_different_people() -> None:
    rule = DwellRule(name="bench", polygon=SQUARE, seconds=5, cooldown_s=60)
    frames = [
        (i / 5, [track(1, 300, 300), track(2, 500, 300)] if i > 10 else [track(1, 300, 300)])
        for i in range(60)
    ]
    rules = engine(rule)
    hits = play(rules, frames)
    assert [h.track_id for _, h in hits] == [1]
    assert rules.suppressed == {"bench": 1}


# --- counts ----------------------------------------------------------------------------


def test_crowding_fires_when_the_count_reaches_the_threshold_and_rearms_below() -> None:
    rule = CountRule(name="crowd", polygon=SQUARE, threshold=3, cooldown_s=0)
    people = [track(i, 250 + 50 * i, 300) for i in range(4)]
    outside = track(9, 900, 300)
    frames = [
        (0.0, [*people[:2], outside]),  # 2 inside (and one outside)
        (0.2, people[:3]),  # 3: fires
        (0.4, people),  # 4: still above, no new event
        (0.6, people[:2]),  # 2: re-arms
        (0.8, people[:3]),  # 3 again: fires
    ]
    hits = play(engine(rule), frames)
    assert [(t, h.kind, len(h.boxes)) for t, h in hits] == [
        (0.2, "crowding", 3),
        (0.8, "crowding", 3),
    ]
    assert hits[0][1].detail == "3 objects in zone 'crowd' (threshold 3)"


def test_crowding_over_the_whole_picture() -> None:
    rule = CountRule(name="crowd", threshold=2, cooldown_s=0, classes=["person"])
    frames = [
        (0.0, [track(1, 100, 100), track(2, 900, 450, "car")]),
        (0.2, [track(1, 100, 100), track(3, 900, 450)]),
    ]
    hits = play(engine(rule), frames)
    assert [t for t, _ in hits] == [0.2]


# --- after-hours motion ----------------------------------------------------------------


def motion_in(x0: int, x1: int) -> MotionResult:
    """A 100 x 50 gate mask (scale 10 to the 1000 x 500 picture) moving in columns x0..x1."""
    mask = np.zeros((50, 100), np.uint8)
    mask[10:40, x0:x1] = 255
    return MotionResult(
        fraction=float(np.count_nonzero(mask)) / mask.size,
        regions=[(x0 * 10.0, 100.0, x1 * 10.0, 400.0)],
        mask=mask,
        scale=10.0,
    )


YARD = AfterHoursMotionRule(
    name="yard",
    polygon=[(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)],
    start=dt.time(22),
    end=dt.time(6),
    cooldown_s=60,
)


def at(hour: int, minute: int = 0) -> float:
    return dt.datetime(2026, 11, 27, hour, minute, tzinfo=dt.UTC).timestamp()


def test_after_hours_motion_inside_the_mask_at_night() -> None:
    hits = play(engine(YARD), [(0.0, [])], wall_time=at(23, 30), motion=motion_in(10, 30))
    assert [h.kind for _, h in hits] == ["after_hours_motion"]
    assert hits[0][1].boxes == [(100.0, 100.0, 300.0, 400.0)]
    assert "motion in 'yard' at 23:30" in hits[0][1].detail


def test_after_hours_motion_ignores_daytime_and_motion_outside_the_mask() -> None:
    assert play(engine(YARD), [(0.0, [])], wall_time=at(12), motion=motion_in(10, 30)) == []
    assert play(engine(YARD), [(0.0, [])], wall_time=at(2), motion=motion_in(60, 90)) == []


def test_after_hours_uses_the_cameras_time_zone() -> None:
    # 21:30 UTC is 23:30 in Helsinki (UTC+2 in November).
    helsinki = RuleEngine([YARD], timezone="Europe/Helsinki")
    utc = RuleEngine([YARD], timezone="UTC")
    assert play(helsinki, [(0.0, [])], wall_time=at(21, 30), motion=motion_in(10, 30))
    assert not play(utc, [(0.0, [])], wall_time=at(21, 30), motion=motion_in(10, 30))


def test_after_hours_cooldown() -> None:
    frames: list[tuple[float, list[Track]]] = [(float(t), []) for t in range(0, 130, 10)]
    hits = play(engine(YARD), frames, wall_time=at(23), motion=motion_in(10, 30))
    assert [t for t, _ in hits] == [0.0, 60.0, 120.0]


# --- configuration ---------------------------------------------------------------------


def test_config_round_trips_through_json() -> None:
    config = PipelineConfig(
        fps=4,
        timezone="Europe/Helsinki",
        rules=[HORIZON, DWELL, YARD, CountRule(name="crowd", threshold=5)],
    )
    again = PipelineConfig.model_validate_json(config.model_dump_json())
    assert again == config
    assert [type(r) for r in again.rules] == [LineRule, DwellRule, AfterHoursMotionRule, CountRule]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"rules": [{"type": "line", "name": "x", "a": (0.1, 0.1), "b": (1.2, 0.1)}]},
            "less than or equal to 1",
        ),
        (
            {"rules": [{"type": "line", "name": "x", "a": (0.1, 0.1), "b": (0.1, 0.1)}]},
            "a and b are the same point",
        ),
        (
            {"rules": [{"type": "zone", "name": "z", "polygon": [(0, 0), (1, 1)]}]},
            "at least 3 items",
        ),
        (
            {"rules": [{"type": "count", "name": "c", "threshold": 2}] * 2},
            "rule names must be unique: c",
        ),
        (
            {"rules": [{"type": "face_match", "name": "w"}]},
            "does not match any of the expected tags",
        ),
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"watchlist": ["someone"]}, "Extra inputs are not permitted"),
    ],
)
def test_bad_config_is_refused_with_a_clear_message(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        PipelineConfig.model_validate(change)


def test_event_kinds_are_the_rules_kinds() -> None:
    assert set(EVENT_KINDS) == {
        "line_crossing",
        "zone_enter",
        "zone_exit",
        "dwell",
        "crowding",
        "after_hours_motion",
    }
