"""Camera event latency: frame time to the alert on the bus, p50/p99.

Run: ``.venv/bin/python -m bench.cameras``. Three cameras play a generated clip (640x360
H.264, 10 fps, scikit-image's astronaut photo with a box crossing a counting line every
3 s) at its own speed, like live cameras, in two local worker processes
under the supervisor, on an embedded SQLite database. Latency runs from the frame's
decode time in the worker to the ``alert.changed`` event arriving at a bus subscriber in
the supervisor's process: the pipeline, the face blur and JPEG of the snapshot, the hand-
over to the supervisor, the event and alert rows, the commit and the bus.

Peers in the same run, over the same frames: the bare video ``Pipeline`` in one process
(decode -> process -> event returned), and the same plus the face blur and JPEG that every
stored snapshot gets (what a worker does before it hands an event over).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import tempfile
import threading
import time
from pathlib import Path

import av
import cv2
import numpy as np
import skimage.data
from numpy.typing import NDArray

from bench.harness import machine, percentile, record
from signalfire.accounts import service as accounts
from signalfire.accounts.schemas import AgencyCreate
from signalfire.alerts.events import AlertChanged
from signalfire.cameras.registry import service as cameras
from signalfire.cameras.registry.schemas import CameraCreate
from signalfire.cameras.workers.privacy import FaceBlur
from signalfire.cameras.workers.server import supervise
from signalfire.core import migrate
from signalfire.core.auth.actor import Actor
from signalfire.core.config import load_settings
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime, build_runtime
from signalfire.video.config import PipelineConfig
from signalfire.video.decode import open_source
from signalfire.video.pipeline import Pipeline

WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 10, 30
PASS_S = 3
CAMERAS, WORKERS = 3, 2
SAMPLES, WARM_UP = 120, 6
ANALYSIS = {
    "fps": FPS,
    "rules": [
        {"type": "line", "name": "gate", "a": [0.5, 0.0], "b": [0.5, 1.0], "cooldown_s": 0.2}
    ],
}


def scene(i: int, background: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Frame ``i``: the photo with a box crossing left to right every ``PASS_S``."""
    image = background.copy()
    x = 20 + int((i % (FPS * PASS_S)) * (WIDTH - 100) / (FPS * PASS_S))
    image[280:340, x : x + 50] = 255
    return image


def make_clip(path: Path) -> Path:
    rgb: NDArray[np.uint8] = skimage.data.astronaut()  # type: ignore[no-untyped-call]
    background = np.asarray(
        cv2.resize(np.ascontiguousarray(rgb[:, :, ::-1]), (WIDTH, HEIGHT)), dtype=np.uint8
    )
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.gop_size = 2 * FPS
        for i in range(FPS * SECONDS):
            frame = av.VideoFrame.from_ndarray(scene(i, background), format="bgr24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def install(directory: Path, clip: Path) -> Runtime:
    settings = load_settings(
        database={"url": f"sqlite:///{directory / 'bench.db'}"},
        data_dir=directory,
        geo={"preload": False},
        video={"workers": WORKERS, "files_in_real_time": True, "loop_files": True},
    )
    rt = build_runtime(settings)
    migrate.upgrade(rt.engine)
    with transaction(rt.sessions) as db:
        agency = accounts.create_agency(
            db=db,
            actor=Actor.operator(),
            data=AgencyCreate(code="BENCH", name="Bench", kind="police"),
        )
        actor = dataclasses.replace(Actor.operator(), agency_id=agency.id)
        for n in range(CAMERAS):
            data = CameraCreate.model_validate(
                {
                    "name": f"Camera {n}",
                    "source": str(clip),
                    "lat": 60.17,
                    "lon": 24.94,
                    "analysis": ANALYSIS,
                    "recording_mode": "off",
                }
            )
            cameras.create(db=db, actor=actor, data=data)
    return rt


async def signalfire_latencies(rt: Runtime) -> list[float]:
    """Seconds from frame decode to ``alert.changed`` at a bus subscriber."""
    subscription = rt.bus.subscribe(AlertChanged, maxsize=10_000)
    stop = threading.Event()
    worker = threading.Thread(target=supervise, args=(rt, stop), daemon=True)
    worker.start()
    latencies: list[float] = []
    try:
        while len(latencies) < SAMPLES + WARM_UP:
            event = await subscription.get(timeout=180)
            arrived = time.time()
            assert isinstance(event, AlertChanged)
            if event.change == "raised":
                frame_time = event.alert.occurred_at.timestamp()
                latencies.append(arrived - frame_time)
    finally:
        stop.set()
        subscription.close()
        await asyncio.to_thread(worker.join, 30)
    return latencies[WARM_UP:]


def bare_latencies(clip: Path, *, blur: bool) -> list[float]:
    """Seconds from frame decode to an event returned (and blurred), one process."""
    faces = FaceBlur()
    latencies: list[float] = []
    while len(latencies) < SAMPLES:
        pipeline = Pipeline(PipelineConfig.model_validate(ANALYSIS))
        with open_source(str(clip), fps=FPS) as source:
            for frame in source:
                events = pipeline.process(frame)
                for event in events:
                    if blur and event.snapshot is not None:
                        faces.jpeg(event.snapshot)
                    latencies.append(time.time() - frame.wall_time)
                if len(latencies) >= SAMPLES:
                    break
    return latencies


def row(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"| {name} | {len(ms)} | {percentile(ms, 50):.1f} | {percentile(ms, 99):.1f} | "
        f"{max(ms):.1f} |"
    )


def main() -> None:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        clip = make_clip(directory / "crossing.mp4")
        rt = install(directory, clip)
        ours = asyncio.run(signalfire_latencies(rt))
        rt.engine.dispose()
        bare = bare_latencies(clip, blur=False)
        blurred = bare_latencies(clip, blur=True)
    load_after = os.getloadavg()[0]
    record(
        "Camera events",
        f"""
Command: `.venv/bin/python -m bench.cameras` ({machine()}; 1-minute load
{load_before:.2f} before, {load_after:.2f} after, the machine shared with other work).
{CAMERAS} cameras play a {WIDTH}x{HEIGHT} H.264 clip at its own {FPS} fps (a box crosses
a counting line every {PASS_S} s over scikit-image's astronaut photo) in
{WORKERS} local worker processes under the supervisor, embedded SQLite. Latency: from the
frame's decode in the worker to the `alert.changed` event at a bus subscriber (after the
first {WARM_UP}). It covers the pipeline, blurring the snapshot's faces (CenterFace) and
its JPEG, the hand-over to the supervisor, the event and alert rows, the commit and the
bus. Peers in the same run, over the same frames in one process: the bare video
`Pipeline` (decode -> event returned), and the same plus the snapshot's face blur and JPEG.

| path | events | p50 ms | p99 ms | max ms |
|---|---:|---:|---:|---:|
{row("Signalfire: worker process -> supervisor -> alert on the bus", ours)}
{row("peer: bare `Pipeline`, one process", bare)}
{row("peer: bare `Pipeline` + face blur + JPEG, one process", blurred)}

The difference between the first and last rows is the cost of the hand-over, the
database and the bus; the difference between the last two is the face blur.
""",
    )
    print(
        f"signalfire p50/p99 {percentile(ours, 50) * 1000:.1f}/{percentile(ours, 99) * 1000:.1f}"
        f" ms; bare {percentile(bare, 50) * 1000:.1f}/{percentile(bare, 99) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
