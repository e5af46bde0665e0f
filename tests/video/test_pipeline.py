"""The whole pipeline on generated videos: decode → motion → detector → tracker → rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from signalfire.video.config import DwellRule, LineRule, PipelineConfig, RuleConfig, ZoneRule
from signalfire.video.decode import open_source
from signalfire.video.pipeline import Event, Pipeline
from signalfire.video.synthetic import Mover
from tests.video import scenes

RED = (40, 40, 220)
YELLOW = (20, 230, 230)


def run(path: Path, rules: list[RuleConfig], **config: object) -> tuple[Pipeline, list[Event]]:
    """Analyse the clip at 5 fps with the motion detector and return every event."""
    pipeline = Pipeline(PipelineConfig.model_validate({"rules": rules, **config}))
    events: list[Event] = []
    with open_source(str(path), fps=5.0) as source:
        for frame in source:
            events.extend(pipeline.process(frame))
    return pipeline, events


@pytest.fixture(scope="module")
def crossings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Over the astronaut: one box goes left to right across the middle, a later one back."""
    movers = [
        Mover([(80, 200), (560, 200)], [1.0, 5.0], color=RED),
        Mover([(560, 220), (80, 220)], [7.0, 11.0], color=YELLOW),
    ]
    path = tmp_path_factory.mktemp("pipeline") / "crossings.mp4"
    return scenes.clip(path, scenes.astronaut(), movers, seconds=13.0)


# Drawn from the bottom of the picture to the top: its left side is the picture's left.
RAIL = {"type": "line", "name": "rail", "a": (0.5, 1.0), "b": (0.5, 0.0), "cooldown_s": 0}


def test_line_crossings_are_counted_in_both_directions(crossings: Path) -> None:
    pipeline, events = run(crossings, [LineRule.model_validate(RAIL)])
    assert pipeline.line_counts == {"rail": {"left_to_right": 1, "right_to_left": 1}}
    assert [(e.kind, e.direction) for e in events] == [
        ("line_crossing", "left_to_right"),
        ("line_crossing", "right_to_left"),
    ]
    first, second = events
    assert first.track_id != second.track_id
    # The first box reaches the middle (x = 320) at 3 s, the second at 9 s.
    assert first.pts_s == pytest.approx(3.0, abs=0.5)
    assert second.pts_s == pytest.approx(9.0, abs=0.5)
    assert "crossed line 'rail' left→right" in first.detail
    x1, _, x2, _ = first.boxes[0]
    assert x1 < 320 < x2 + 40
    snapshot = first.snapshot
    assert snapshot is not None
    assert snapshot.shape == (360, 640, 3)
    assert _red_share(snapshot, first.boxes[0]) > 0.5


def _red_share(image: NDArray[np.uint8], box: tuple[float, float, float, float]) -> float:
    x1, y1, x2, y2 = (round(v) for v in box)
    blue, green, red = (image[y1:y2, x1:x2, i].astype(int) for i in range(3))
    return float(np.mean((red > 170) & (green < 100) & (blue < 100)))


def test_one_way_line_ignores_the_other_direction(crossings: Path) -> None:
    rule = LineRule.model_validate({**RAIL, "direction": "right_to_left"})
    pipeline, events = run(crossings, [rule])
    assert [e.direction for e in events] == ["right_to_left"]
    assert pipeline.line_counts["rail"] == {"left_to_right": 1, "right_to_left": 1}


def test_cooldown_holds_back_the_second_crossing(crossings: Path) -> None:
    rule = LineRule.model_validate({**RAIL, "cooldown_s": 30})
    pipeline, events = run(crossings, [rule])
    assert [e.direction for e in events] == ["left_to_right"]
    assert pipeline.rules.suppressed == {"rail": 1}
    assert pipeline.line_counts["rail"] == {"left_to_right": 1, "right_to_left": 1}


def test_a_line_beside_the_path_is_not_crossed(crossings: Path) -> None:
    short = LineRule.model_validate({**RAIL, "a": (0.5, 0.2), "b": (0.5, 0.05)})
    pipeline, events = run(crossings, [short], anchor="center")
    assert events == []
    assert pipeline.line_counts["rail"] == {"left_to_right": 0, "right_to_left": 0}


@pytest.fixture(scope="module")
def two_stays(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Over Grace Hopper's portrait: a box wanders in the left zone, leaves, comes back."""
    route = [
        ((30, 230), 0.5),
        ((200, 230), 1.5),  # in the zone (x 96..320 px) from about 1 s
        ((260, 200), 3.0),
        ((140, 240), 4.5),
        ((250, 230), 6.0),
        ((600, 230), 8.5),  # out again at about 6.8 s
        ((250, 230), 11.0),  # back in at about 10.2 s
        ((150, 200), 12.5),
        ((260, 240), 14.0),
        ((600, 230), 16.5),  # out at about 14.8 s
    ]
    mover = Mover([p for p, _ in route], [t for _, t in route], size=(60, 100), color=RED)
    path = tmp_path_factory.mktemp("pipeline") / "stays.mp4"
    return scenes.clip(path, scenes.grace_hopper(), [mover], seconds=17.0)


ZONE = [(0.15, 0.3), (0.5, 0.3), (0.5, 1.0), (0.15, 1.0)]


def test_dwell_fires_once_per_stay_in_a_video(two_stays: Path) -> None:
    rules: list[RuleConfig] = [
        DwellRule(name="kiosk", polygon=ZONE, seconds=3, cooldown_s=0),
        ZoneRule(name="area", polygon=ZONE, on=["enter", "exit"], cooldown_s=0),
    ]
    _, events = run(two_stays, rules)
    dwell = [e for e in events if e.kind == "dwell"]
    assert len(dwell) == 2
    # Stays from about 1 s and about 10.2 s, each reported 3 s later, and only then.
    assert dwell[0].pts_s == pytest.approx(4.0, abs=0.6)
    assert dwell[1].pts_s == pytest.approx(13.2, abs=0.6)
    moves = [(e.kind, round(e.pts_s)) for e in events if e.kind != "dwell"]
    assert [kind for kind, _ in moves] == ["zone_enter", "zone_exit", "zone_enter", "zone_exit"]
    assert [t for _, t in moves] == pytest.approx([1, 7, 10, 15], abs=1)


def test_dwell_cooldown_holds_back_the_second_stay(two_stays: Path) -> None:
    rule = DwellRule(name="kiosk", polygon=ZONE, seconds=3, cooldown_s=60)
    pipeline, events = run(two_stays, [rule])
    assert [e.kind for e in events] == ["dwell"]
    assert pipeline.rules.suppressed == {"kiosk": 1}


def test_idle_scene_never_runs_the_detector(tmp_path: Path) -> None:
    path = scenes.clip(tmp_path / "idle.mp4", scenes.coffee(), [], seconds=6.0, noise=4.0)
    pipeline = Pipeline(PipelineConfig(detector={"kind": "hog_person"}))
    ran = []
    with open_source(str(path), fps=5.0) as source:
        for frame in source:
            assert pipeline.process(frame) == []
            assert pipeline.stats is not None
            ran.append(pipeline.stats.detector_ran)
            assert pipeline.stats.motion_fraction < 0.001
    assert len(ran) == 30
    assert not any(ran)


def test_person_detector_tracks_a_walker_across_a_line(tmp_path: Path) -> None:
    walker = Mover(
        [(60, 190), (580, 190)], [0.5, 6.0], size=(0, 240), color=(30, 30, 30), shape="person"
    )
    path = scenes.clip(tmp_path / "walker.mp4", scenes.coffee(), [walker], seconds=7.0)
    config = {"detector": {"kind": "hog_person", "confidence": 0.6}}
    _, events = run(path, [LineRule.model_validate(RAIL)], **config)
    assert [(e.kind, e.direction, e.class_name) for e in events] == [
        ("line_crossing", "left_to_right", "person")
    ]
    # The walker reaches the middle of the picture at about 3.3 s.
    assert events[0].pts_s == pytest.approx(3.3, abs=0.5)
    x1, y1, x2, y2 = events[0].boxes[0]
    assert y2 - y1 > 200  # a whole person, not a moving fragment
    assert x1 < 320 < x2


def test_someone_standing_still_keeps_their_track_and_dwells_once(tmp_path: Path) -> None:
    # Walks in from the left, then stands still in the zone from 2 s to the end (14 s).
    person = Mover(
        [(40, 190), (200, 190), (200, 190)],
        [0.5, 2.0, 14.0],
        size=(0, 240),
        color=(30, 30, 30),
        shape="person",
    )
    path = scenes.clip(tmp_path / "still.mp4", scenes.coffee(), [person], seconds=14.0)
    rule = DwellRule(name="door", polygon=ZONE, seconds=6, cooldown_s=0)
    config = {"detector": {"kind": "hog_person", "confidence": 0.6}, "rules": [rule]}
    pipeline = Pipeline(PipelineConfig.model_validate(config))
    events: list[Event] = []
    idle_runs = []
    with open_source(str(path), fps=5.0) as source:
        for frame in source:
            events.extend(pipeline.process(frame))
            assert pipeline.stats is not None
            if frame.pts_s > 10 and not pipeline.stats.moving:
                idle_runs.append(pipeline.stats.detector_ran)
    assert [(e.kind, e.class_name) for e in events] == [("dwell", "person")]
    # In the zone from about 1.5 s; the dwell limit is 6 s.
    assert events[0].pts_s == pytest.approx(7.5, abs=1.0)
    # Once the still figure has faded into the background, the detector runs only to
    # check on it, every 2 s (keepalive_s), not on every frame.
    assert idle_runs
    assert 0 < sum(idle_runs) <= len(idle_runs) // 8 + 1
    assert len(pipeline.tracks) == 1
