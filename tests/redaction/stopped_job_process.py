"""A server process stand-in for the restart tests: start a redaction job whose detector
takes half a second a frame, then wait to be killed (``kill -9``) mid-analysis.

Usage: ``python -m tests.redaction.stopped_job_process DATABASE_URL DATA_DIR CLIP AGENCY_ID``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

import signalfire.accounts.models  # noqa: F401  (the agencies table, as a server has it)
from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.config import load_settings
from signalfire.core.db import transaction
from signalfire.core.runtime import build_runtime
from signalfire.redaction.faces import Scale
from signalfire.redaction.jobs import JobStore, Source
from signalfire.redaction.options import Edits, RedactionOptions
from signalfire.vision.boxes import Boxes


class Slow:
    """A detector that finds nothing, slowly."""

    def detect_rgb(
        self, image_rgb: NDArray[np.uint8], *, scale: Scale = None, threshold: float = 0.2
    ) -> Boxes:
        time.sleep(0.5)
        return np.empty((0, 5), np.float32)


def main(url: str, data_dir: str, clip: str, agency_id: str) -> None:
    runtime = build_runtime(
        load_settings(
            database={"url": url},
            data_dir=Path(data_dir),
            geo={"preload": False},
            video={"workers": 0},
        )
    )
    store = JobStore(
        Path(data_dir) / "redactions", sessions=runtime.sessions, detector=Slow(), database=None
    )
    actor = Actor(None, "vid.op", int(agency_id), frozenset(), "token")
    with transaction(runtime.sessions) as db:
        job = store.create(
            db=db,
            actor=actor,
            why=Justification("release to court", "C-2026-118"),
            source=Source(Path(clip), "upload:killed", "clip killed", "clip"),
            options=RedactionOptions(),
            edits=Edits(),
            export_when_ready=True,
        )
    print(job.id, flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main(*sys.argv[1:5])
