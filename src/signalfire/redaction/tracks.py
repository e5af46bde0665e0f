"""Follow detections through a clip and fill the frames where the detector misses.

Why a small tracker of our own: the clips are analysed offline, so every track's whole
history is known before a single frame is blurred. That makes gap filling exact
interpolation between two real detections rather than a filter's guess, and leaves the
online part with one job: decide which detection continues which track. Centre distance
relative to the face's size, with a constant-velocity prediction and lowest-cost-first
assignment, does that for faces that move, shrink and grow; the
well-kept libraries (norfair, motpy) add Kalman filters we would not use and, in
norfair's case, the GUI build of OpenCV.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from signalfire.vision.boxes import Boxes

Kind = Literal["face", "plate"]
WINDOW = 4  # frames either side over which a mask keeps its track's largest size


@dataclass
class Track:
    """One face (or plate) through the clip: its detections by frame index."""

    track_id: int
    kind: Kind
    frames: list[int] = field(default_factory=list)
    boxes: list[NDArray[np.float32]] = field(default_factory=list)  # rows of Boxes

    def add(self, frame: int, box: NDArray[np.float32]) -> None:
        """Record a detection, a row of :data:`~signalfire.vision.boxes.Boxes` (frames
        arrive in order). The box goes in first, so a
        reader in another thread never sees a frame without its box."""
        self.boxes.append(np.asarray(box, np.float32))
        self.frames.append(frame)

    @property
    def first(self) -> int:
        """Frame of the first detection."""
        return self.frames[0]

    @property
    def last(self) -> int:
        """Frame of the last detection."""
        return self.frames[-1]

    def velocity(self) -> NDArray[np.float64]:
        """Per-frame change of (x1, y1, x2, y2) over the last two detections."""
        if len(self.frames) < 2:
            return np.zeros(4)
        span = self.frames[-1] - self.frames[-2]
        return (self.boxes[-1][:4].astype(np.float64) - self.boxes[-2][:4]) / span

    def predict(self, frame: int) -> NDArray[np.float64]:
        """Where the box should be at ``frame`` if it keeps its speed."""
        return self.boxes[-1][:4].astype(np.float64) + self.velocity() * (frame - self.last)

    def box_at(self, frame: int, *, hold: int) -> NDArray[np.float64] | None:
        """The mask box at ``frame``: detected, interpolated between two detections, or
        held (carried on at the track's speed, growing 5% a frame) for ``hold`` frames
        before the first and after the last detection; ``None`` outside.

        >>> t = Track(1, "face")
        >>> t.add(0, np.array([0, 0, 10, 10, 1])); t.add(4, np.array([8, 0, 18, 10, 1]))
        >>> t.box_at(2, hold=2).tolist()
        [4.0, 0.0, 14.0, 10.0]
        >>> t.box_at(7, hold=2) is None, t.box_at(-2, hold=2) is not None
        (True, True)
        """
        if frame < self.first - hold or frame > self.last + hold:
            return None
        i = bisect.bisect_left(self.frames, frame)
        if i < len(self.frames) and self.frames[i] == frame:
            return self.boxes[i][:4].astype(np.float64)
        if 0 < i < len(self.frames):
            f0, f1 = self.frames[i - 1], self.frames[i]
            w = (frame - f0) / (f1 - f0)
            return (1 - w) * self.boxes[i - 1][:4] + w * self.boxes[i][:4]
        if i == 0:
            steps = self.first - frame
            base = self.boxes[0][:4].astype(np.float64) - _first_velocity(self) * steps
        else:
            steps = frame - self.last
            base = self.predict(frame)
        return _grow(base, 0.05 * steps)


def _first_velocity(track: Track) -> NDArray[np.float64]:
    if len(track.frames) < 2:
        return np.zeros(4)
    span = track.frames[1] - track.frames[0]
    return (track.boxes[1][:4].astype(np.float64) - track.boxes[0][:4]) / span


def _grow(box: NDArray[np.float64], fraction: float) -> NDArray[np.float64]:
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * fraction / 2, (y2 - y1) * fraction / 2
    return np.array([x1 - dx, y1 - dy, x2 + dx, y2 + dy])


def _cost(predicted: NDArray[np.float64], boxes: Boxes) -> NDArray[np.float64]:
    """Centre distance over the predicted box's size; inf where sizes differ > 2x."""
    pw = max(float(predicted[2] - predicted[0]), 1.0)
    ph = max(float(predicted[3] - predicted[1]), 1.0)
    size = max(float(np.sqrt(pw * ph)), 1.0)
    pc = (predicted[:2] + predicted[2:4]) / 2
    centres = (boxes[:, :2] + boxes[:, 2:4]) / 2
    dist = np.linalg.norm(centres - pc, axis=1) / size
    bsize = np.sqrt((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    ratio = bsize / size
    return np.where((ratio > 0.5) & (ratio < 2.0), dist, np.inf)


class Tracker:
    """Links per-frame detections into tracks (online, frames in order).

    Parameters
    ----------
    kind
        What the tracks are ("face" or "plate"), carried into the report.
    max_gap
        Frames a track may go undetected and still be continued.
    max_distance
        Largest centre jump, in face sizes, from the predicted position, per frame
        since the track was last seen (at most three frames' worth).
    """

    def __init__(self, kind: Kind = "face", *, max_gap: int = 15, max_distance: float = 1.0):
        self.kind: Kind = kind
        self.max_gap = max_gap
        self.max_distance = max_distance
        self.tracks: list[Track] = []
        self._active: list[Track] = []
        self._next_id = 1

    def update(self, frame: int, boxes: Boxes) -> None:
        """Add the detections of ``frame``."""
        self._active = [t for t in self._active if frame - t.last <= self.max_gap]
        unmatched = set(range(len(boxes)))
        if self._active and len(boxes):
            # A track unseen for several frames may have moved further: the allowed
            # jump grows with the gap (up to three times).
            cost = np.stack(
                [_cost(t.predict(frame), boxes) / min(3, frame - t.last) for t in self._active]
            )
            for r, c in _greedy(cost, self.max_distance):
                self._active[r].add(frame, boxes[c])
                unmatched.discard(c)
        for c in sorted(unmatched):
            track = Track(self._next_id, self.kind)
            self._next_id += 1
            track.add(frame, boxes[c])
            self.tracks.append(track)
            self._active.append(track)


def _greedy(cost: NDArray[np.float64], limit: float) -> list[tuple[int, int]]:
    """(row, column) pairs, cheapest first, each row and column used once, cost <= limit.

    With a handful of faces per frame this is the optimal assignment in all but
    contrived ties, and it spares loading SciPy's optimiser on every start.

    >>> _greedy(np.array([[0.1, 0.5], [0.2, 0.9]]), 1.0)
    [(0, 0), (1, 1)]
    """
    pairs: list[tuple[int, int]] = []
    rows: set[int] = set()
    cols: set[int] = set()
    for flat in np.argsort(cost, axis=None, kind="stable").tolist():
        r, c = divmod(flat, cost.shape[1])
        if cost[r, c] > limit:
            break
        if r not in rows and c not in cols:
            pairs.append((r, c))
            rows.add(r)
            cols.add(c)
    return pairs


def steady_size(
    boxes: dict[int, NDArray[np.float64]], window: int
) -> dict[int, NDArray[np.float64]]:
    """Each box with the largest width and height the track had within ``window``
    frames either side, about its own centre.

    A face half hidden by a passing post is detected as its visible half: a box that
    shrinks for a few frames. Keeping the size the face had just before and after
    hides the covered half as soon as it reappears.

    >>> boxes = {0: np.array([0., 0, 10, 10]), 1: np.array([2., 0, 6, 10])}
    >>> steady_size(boxes, 1)[1].tolist()
    [-1.0, 0.0, 9.0, 10.0]
    """
    frames = sorted(boxes)
    sizes = np.array([boxes[f][2:4] - boxes[f][0:2] for f in frames]).reshape(-1, 2)
    steady: dict[int, NDArray[np.float64]] = {}
    for frame in frames:
        lo = bisect.bisect_left(frames, frame - window)
        hi = bisect.bisect_right(frames, frame + window)
        w, h = sizes[lo:hi].max(axis=0)
        cx, cy = (boxes[frame][0:2] + boxes[frame][2:4]) / 2
        steady[frame] = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return steady


def masks_at(
    tracks: list[Track], frame: int, *, hold: int, frame_count: int, window: int = WINDOW
) -> list[tuple[int, NDArray[np.float64]]]:
    """The (track id, box) pairs to hide on ``frame``: each track's box (detected,
    interpolated or held), its size steadied over ``window`` frames either side, joined
    with the boxes of the frames beside it.

    >>> t = Track(7, "face"); t.add(2, np.array([0, 0, 4, 4, 1]))
    >>> [len(masks_at([t], f, hold=1, frame_count=6)) for f in range(6)]
    [0, 1, 1, 1, 0, 0]
    """
    found = []
    for track in tracks:
        lo, hi = max(0, track.first - hold), min(frame_count, track.last + hold + 1)
        if not lo <= frame < hi:
            continue
        local: dict[int, NDArray[np.float64]] = {}
        for f in range(max(lo, frame - 1 - window), min(hi, frame + 2 + window)):
            box = track.box_at(f, hold=hold)
            if box is not None:
                local[f] = box
        steady = steady_size(local, window)
        # Also cover where the face was a frame before and after: a half-hidden face's
        # box is off-centre too, and its neighbours' boxes make up for it.
        near = [steady[f] for f in (frame - 1, frame, frame + 1) if f in steady]
        union = np.concatenate([np.min(near, axis=0)[:2], np.max(near, axis=0)[2:]])
        found.append((track.track_id, union))
    return found


def masks_by_frame(
    tracks: list[Track], frame_count: int, *, hold: int, window: int = WINDOW
) -> list[list[tuple[int, NDArray[np.float64]]]]:
    """For each frame, :func:`masks_at`.

    >>> t = Track(7, "face"); t.add(2, np.array([0, 0, 4, 4, 1]))
    >>> [len(m) for m in masks_by_frame([t], 6, hold=1)]
    [0, 1, 1, 1, 0, 0]
    """
    return [
        masks_at(tracks, frame, hold=hold, frame_count=frame_count, window=window)
        for frame in range(frame_count)
    ]
