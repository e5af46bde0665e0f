"""First pass over a clip: find faces (and plates) and link them into tracks."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from signalfire.redaction import media
from signalfire.redaction.errors import RedactionError, UnreadableVideo
from signalfire.redaction.faces import Scale, detection_size
from signalfire.redaction.options import RedactionOptions
from signalfire.redaction.tracks import Track, Tracker
from signalfire.vision.boxes import Boxes

Progress = Callable[[str, int, int], None]
"""Called with (stage, frames done, frames in total or 0 when unknown)."""


class Detector(Protocol):
    """Anything that finds regions in an RGB frame (CenterFace, a plate detector)."""

    def detect_rgb(
        self, image_rgb: NDArray[np.uint8], *, scale: Scale = None, threshold: float = 0.2
    ) -> Boxes:
        """Boxes (x1, y1, x2, y2, score) in ``image_rgb``'s pixels."""
        ...


@dataclass
class Analysis:
    """What the first pass found: the clip and its tracks."""

    input_path: Path
    input_sha256: str
    info: media.VideoInfo
    frame_count: int
    options: RedactionOptions
    tracks: list[Track]

    def track(self, track_id: int) -> Track | None:
        """The track with ``track_id``, if any."""
        return next((t for t in self.tracks if t.track_id == track_id), None)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of the file at ``path``."""
    media.check_source(path)
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def analyse(
    path: Path,
    *,
    options: RedactionOptions,
    faces: Detector,
    plates: Detector | None = None,
    progress: Progress | None = None,
    on_frame: Callable[[int, list[Track]], None] | None = None,
) -> Analysis:
    """Detect faces on every ``options.detect_every``-th frame, downscaled to
    ``options.scale``, and link them into tracks; with ``options.plates`` moving text
    too (by ``plates``, or the PP-OCR text detector). ``on_frame`` hears the frames
    done and the tracks so far after each frame."""
    info = media.probe(path)
    if not options.plates:
        plates = None
    elif plates is None:
        from signalfire.redaction.plates import TextDetector  # loads its model

        plates = TextDetector()
    size = detection_size(info.width, info.height, options.scale)
    face_tracker = Tracker("face", max_gap=options.max_gap)
    plate_tracker = Tracker("plate", max_gap=options.max_gap)
    scale_x, scale_y = info.width / size[0], info.height / size[1]
    count = 0
    for index, small in enumerate(media.prefetch(media.frames(path, size=size))):
        count = index + 1
        if index % options.detect_every == 0:
            found = faces.detect_rgb(small, scale=size, threshold=options.threshold)
            face_tracker.update(index, _to_source(found, scale_x, scale_y))
            if plates is not None:
                found = plates.detect_rgb(small, scale=size, threshold=options.threshold)
                plate_tracker.update(index, _to_source(found, scale_x, scale_y))
        if progress is not None:
            progress("analyse", count, info.frames)
        if on_frame is not None:
            on_frame(count, face_tracker.tracks + plate_tracker.tracks)
    if count == 0:
        raise UnreadableVideo(path, "holds no decodable video frame")
    tracks = face_tracker.tracks + plate_tracker.tracks
    for number, track in enumerate(sorted(tracks, key=lambda t: (t.first, t.kind)), 1):
        track.track_id = number
    tracks.sort(key=lambda t: t.track_id)
    return Analysis(path, sha256_of(path), info, count, options, tracks)


def save(analysis: Analysis, path: Path) -> None:
    """Write ``analysis`` to ``path`` (NumPy's ``.npz``, no pickles), atomically, so a
    later process can review and export it without analysing the clip again."""
    info = asdict(analysis.info) | {"fps": str(analysis.info.fps)}
    meta = {
        "input_path": str(analysis.input_path),
        "input_sha256": analysis.input_sha256,
        "info": info,
        "frame_count": analysis.frame_count,
        "options": analysis.options.model_dump(mode="json"),
        "tracks": [[t.track_id, t.kind] for t in analysis.tracks],
    }
    arrays: dict[str, Any] = {"meta": np.array(json.dumps(meta))}
    for i, track in enumerate(analysis.tracks):
        arrays[f"frames{i}"] = np.asarray(track.frames, np.int64)
        arrays[f"boxes{i}"] = np.asarray(track.boxes, np.float32).reshape(-1, 5)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".partial", dir=path.parent)
    with os.fdopen(fd, "wb") as file:
        file.write(buffer.getvalue())
    os.replace(name, path)


def load(path: Path) -> Analysis:
    """The analysis :func:`save` wrote to ``path``; :class:`RedactionError` if it is
    missing or damaged."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(str(stored["meta"]))
            tracks = []
            for i, (track_id, kind) in enumerate(meta["tracks"]):
                track = Track(int(track_id), kind)
                for frame, box in zip(stored[f"frames{i}"], stored[f"boxes{i}"], strict=True):
                    track.add(int(frame), box)
                tracks.append(track)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RedactionError(f"the stored analysis is missing or damaged ({error})") from None
    info = media.VideoInfo(**(meta["info"] | {"fps": Fraction(meta["info"]["fps"])}))
    return Analysis(
        Path(meta["input_path"]),
        meta["input_sha256"],
        info,
        int(meta["frame_count"]),
        RedactionOptions.model_validate(meta["options"]),
        tracks,
    )


def _to_source(boxes: Boxes, sx: float, sy: float) -> Boxes:
    out = boxes.copy()
    out[:, 0:4:2] *= sx
    out[:, 1:4:2] *= sy
    return out
