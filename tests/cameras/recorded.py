"""Arranging recorded segments of a camera at chosen times, through the real recorder."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime
from pathlib import Path

from signalfire.cameras.recordings import storage
from signalfire.cameras.recordings.segment_writer import record
from signalfire.cameras.workers import ingest
from signalfire.cameras.workers.messages import SegmentReport
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime


def store_segments(
    runtime: Runtime, camera_id: int, source: Path, starts: list[datetime], segment_s: float = 2.0
) -> list[int]:
    """Record ``source`` into the camera's directory and file its segments as starting
    at ``starts`` (one per segment); returns their ids."""
    reports: list[SegmentReport] = []
    record(
        str(source),
        camera_id=camera_id,
        out_dir=storage.segments_dir(runtime.settings.data_dir, camera_id),
        segment_s=segment_s,
        on_segment=reports.append,
        stop=threading.Event(),
    )
    assert len(reports) == len(starts), (len(reports), len(starts))
    ids = []
    with transaction(runtime.sessions) as db:
        for report, start in zip(reports, starts, strict=True):
            length = report.ended_at - report.started_at
            moved = dataclasses.replace(
                report, started_at=start.timestamp(), ended_at=start.timestamp() + length
            )
            segment = ingest.record_segment(db, runtime.settings.data_dir, moved)
            assert segment is not None
            ids.append(segment.id)
    return ids
