"""The whole pipeline on generated videos: decode → motion → detector → tracker → rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from signalfire.video.config import LineRule, PipelineConfig, RuleConfig
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
RAIL = {"type": "line", "name": "rail", "a": (0.5, 0.95), "b": (0.5, 0.05), "cooldown_s": 0}


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
