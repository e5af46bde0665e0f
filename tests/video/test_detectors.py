"""Motion gate, the built-in detectors and the tracker on generated pictures."""

from __future__ import annotations

import dataclasses

import pytest

from signalfire.video import synthetic
from signalfire.video.config import DetectorConfig, TrackerConfig
from signalfire.video.detectors import Detection, HogPerson, MotionRegions, build_detector
from signalfire.video.motion import MotionGate
from signalfire.video.synthetic import Mover
from signalfire.video.tracking import Tracker
from signalfire.vision.boxes import iou
from tests.video import scenes

DARK = (30, 30, 30)


def test_gate_stays_quiet_on_a_noisy_still_photo() -> None:
    gate = MotionGate()
    background = scenes.astronaut(1280, 720)
    results = [gate.apply(f) for f in synthetic.scene(background, [], fps=5, seconds=4, noise=4)]
    assert not any(r.moving for r in results)
    assert max(r.fraction for r in results) < 0.001


def test_gate_finds_a_moving_box_in_full_frame_pixels() -> None:
    gate = MotionGate()
    mover = Mover([(200, 400), (1000, 400)], [1.0, 3.0], size=(80, 160), color=(0, 220, 255))
    background = scenes.coffee(1280, 720)
    frames = list(synthetic.scene(background, [mover], fps=5, seconds=3, noise=3))
    results = [gate.apply(f) for f in frames]
    assert not any(r.moving for r in results[:5])
    last = results[-1]
    assert last.moving
    assert last.scale == 4.0
    assert last.mask.shape == (180, 320)
    # At 2.8 s the box centre is at x = 200 + 800 * 0.9 = 920: one region around it.
    (region,) = last.regions
    assert iou(region, (880, 320, 960, 480)) > 0.6


def test_motion_regions_are_detections_of_class_motion() -> None:
    gate = MotionGate(min_area=0.001)
    detector = build_detector(DetectorConfig(kind="motion"), gate=gate)
    assert isinstance(detector, MotionRegions)
    background = scenes.coffee()
    mover = Mover([(100, 200), (500, 200)], [0.0, 2.0], size=(40, 80), color=(0, 220, 255))
    frames = list(synthetic.scene(background, [mover], fps=5, seconds=2))
    for frame in frames:
        gate.apply(frame)
    found = detector.detect(frames[-1])
    assert [d.class_name for d in found] == ["motion"]
    assert iou(found[0].box, (440, 160, 480, 240)) > 0.5


def test_hog_finds_standing_people_and_not_photos() -> None:
    detector = HogPerson()
    people = [
        Mover([(180, 180)], [0.0], size=(0, 240), color=DARK, shape="person"),
        Mover([(470, 190)], [0.0], size=(0, 200), color=(240, 240, 240), shape="person"),
    ]
    picture = synthetic.render(scenes.astronaut(), people, 0.0)
    found = sorted(detector.detect(picture), key=lambda d: d.box[0])
    assert [d.class_name for d in found] == ["person", "person"]
    assert all(d.score > 0.6 for d in found)
    # Each box holds one silhouette (HOG's boxes carry a margin around the figure).
    assert found[0].box[0] < 180 - 34 < 180 + 34 < found[0].box[2]
    assert found[1].box[0] < 470 - 28 < 470 + 28 < found[1].box[2]
    for photo in (scenes.astronaut(), scenes.coffee(), scenes.grace_hopper()):
        assert detector.detect(photo) == []


def test_detections_carry_no_identity() -> None:
    fields = {f.name for f in dataclasses.fields(Detection)}
    assert fields == {"box", "score", "class_name"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        Detection((0, 0, 1, 1), 0.9, "person").class_name = "someone"  # type: ignore[misc]


def test_tracker_keeps_ids_for_two_crossing_paths() -> None:
    tracker = Tracker(TrackerConfig(min_hits=2), fps=5.0)
    history: dict[int, list[float]] = {}
    for i in range(20):
        t = i / 5
        a = (100 + 20 * i, 100.0)
        b = (500 - 20 * i, 300.0)
        detections = [
            Detection((a[0] - 30, a[1] - 60, a[0] + 30, a[1] + 60), 0.9, "person"),
            Detection((b[0] - 30, b[1] - 60, b[0] + 30, b[1] + 60), 0.9, "car"),
        ]
        for track in tracker.update(detections, t):
            history.setdefault(track.track_id, []).append((track.box[0] + track.box[2]) / 2)
    assert len(history) == 2
    first, second = history.values()
    assert first == sorted(first)  # one track moves right the whole way
    assert second == sorted(second, reverse=True)  # the other left
    assert len(first) == len(second) == 19  # ids from the second frame on


def test_tracker_forgets_after_lost_time() -> None:
    tracker = Tracker(TrackerConfig(lost_s=1.0), fps=5.0)
    box = Detection((100, 100, 160, 220), 0.9, "person")
    ids = set()
    for t in (0.0, 0.2, 0.4):
        ids |= {track.track_id for track in tracker.update([box], t)}
    for t in (0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8):
        assert tracker.update([], t) == []
    for t in (2.0, 2.2):
        ids |= {track.track_id for track in tracker.update([box], t)}
    assert len(ids) == 2  # unseen for 1.4 s > 1 s: a new track
