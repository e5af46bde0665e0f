"""Video analytics: 720p streams per 2-core machine at 5 analysed frames/s with motion
gating (idle and busy scenes), and decode-only frame rates with PyAV for reference.

Run: ``.venv/bin/python -m bench.video``. Clips are generated here (720p H.264, one GOP per
2 s, like a camera): *idle* is scikit-image's astronaut photo with sensor noise, *busy* is
matplotlib's Grace Hopper photo with three boxes and two walking silhouettes always moving.
"""

from __future__ import annotations

import heapq
import math
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from threading import Barrier

import av
import cv2
import numpy as np
import skimage.data
from matplotlib import cbook
from numpy.typing import NDArray

from bench.harness import machine, percentile, record
from signalfire.video import synthetic
from signalfire.video.config import PipelineConfig
from signalfire.video.decode import Frame, FrameSource, open_source
from signalfire.video.pipeline import Pipeline
from signalfire.video.synthetic import Mover

WIDTH, HEIGHT = 1280, 720
SECONDS = 12
ANALYSIS_FPS = 5.0
CORES = 2
CONFIRM_S = 10.0
BIT_RATES = {25: 2_000_000, 5: 512_000}  # typical 720p main stream and 5 fps sub-stream

RULES = [
    {"type": "line", "name": "rail", "a": (0.5, 1.0), "b": (0.5, 0.0)},
    {"type": "zone", "name": "platform", "polygon": [(0.1, 0.5), (0.9, 0.5), (0.9, 1), (0.1, 1)]},
    {
        "type": "dwell",
        "name": "bench",
        "polygon": [(0, 0), (0.4, 0), (0.4, 1), (0, 1)],
        "seconds": 10,
    },
    {"type": "count", "name": "crowd", "threshold": 4},
]


def photo(name: str) -> NDArray[np.uint8]:
    if name == "astronaut":
        rgb: NDArray[np.uint8] = skimage.data.astronaut()  # type: ignore[no-untyped-call]
        return synthetic.fit(rgb, WIDTH, HEIGHT)
    path = str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    bgr = np.asarray(cv2.imread(path), dtype=np.uint8)
    return synthetic.fit(np.ascontiguousarray(bgr[..., ::-1]), WIDTH, HEIGHT)


def busy_movers() -> list[Mover]:
    """Five things that never stop: boxes and silhouettes pacing across the picture."""
    movers = []
    for i, (y, period) in enumerate([(200.0, 6.0), (420.0, 8.0), (600.0, 5.0)]):
        times = [k * period / 2 for k in range(2 * SECONDS // int(period) + 3)]
        xs = [(100.0 if k % 2 == 0 else 1180.0) for k in range(len(times))]
        if i % 2:
            xs.reverse()
        movers.append(
            Mover(
                list(zip(xs, [float(y)] * len(xs), strict=True)),
                times,
                size=(90, 160),
                color=(0, 200 - 60 * i, 255),
            )
        )
    for y, period, tone in [(380.0, 10.0, (30, 30, 30)), (460.0, 12.0, (235, 235, 235))]:
        times = [k * period / 2 for k in range(2 * SECONDS // int(period) + 3)]
        xs = [(150.0 if k % 2 == 0 else 1130.0) for k in range(len(times))]
        movers.append(
            Mover(
                list(zip(xs, [y] * len(xs), strict=True)),
                times,
                size=(0, 300),
                color=tone,
                shape="person",
            )
        )
    return movers


def make_clips(folder: Path) -> dict[str, Path]:
    """720p clips at the camera's usual 25 fps and at a 5 fps analysis sub-stream."""
    clips = {}
    scenes = {"idle": ("astronaut", []), "busy": ("grace_hopper", busy_movers())}
    for name, (background, movers) in scenes.items():
        for fps in (25, 5):
            frames = synthetic.scene(photo(background), movers, fps=fps, seconds=SECONDS, noise=3)
            path = folder / f"{name}-{fps}fps.mp4"
            rate = BIT_RATES[fps]
            clips[f"{name}-{fps}"] = synthetic.write_clip(
                path, frames, fps=fps, gop=2 * fps, bit_rate=rate
            )
    return clips


@dataclass(frozen=True)
class Decode:
    label: str
    frames: int
    wall_s: float
    cpu_s: float


def decode_only(path: Path, mode: str) -> Decode:
    """PyAV alone: decode every frame (``plain``, FFmpeg's threads; ``single``, one thread),
    also convert to BGR arrays (``bgr``), or decode key frames only (``keyframes``)."""
    start, cpu = time.perf_counter(), time.process_time()
    frames = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if mode == "single":
            stream.codec_context.thread_count = 1
        else:
            stream.thread_type = "AUTO"
        if mode == "keyframes":
            stream.codec_context.skip_frame = "NONKEY"
        for frame in container.decode(stream):
            if mode == "bgr":
                frame.to_ndarray(format="bgr24")
            frames += 1
    return Decode(mode, frames, time.perf_counter() - start, time.process_time() - cpu)


@dataclass(frozen=True)
class Cost:
    analysed: int
    detector_runs: int
    cpu_s: float

    @property
    def per_frame_ms(self) -> float:
        return 1000 * self.cpu_s / self.analysed

    @property
    def streams(self) -> int:
        return math.floor(CORES / (ANALYSIS_FPS * self.cpu_s / self.analysed))


def config(detector: str) -> PipelineConfig:
    return PipelineConfig.model_validate({"detector": {"kind": detector}, "rules": RULES})


def analysis_cost(path: Path, detector: str) -> Cost:
    """CPU seconds (all threads) to decode and analyse the clip at 5 frames/s."""
    pipeline = Pipeline(
        PipelineConfig.model_validate({"detector": {"kind": detector}, "rules": RULES})
    )
    analysed = runs = 0
    cpu = time.process_time()
    with open_source(str(path), fps=ANALYSIS_FPS, threads=1) as source:
        for frame in source:
            pipeline.process(frame)
            analysed += 1
            runs += bool(pipeline.stats and pipeline.stats.detector_ran)
    return Cost(analysed, runs, time.process_time() - cpu)


@dataclass
class _Stream:
    path: str
    source: FrameSource
    pipeline: Pipeline

    def next_frame(self) -> Frame:
        try:
            return next(self.source)
        except StopIteration:  # loop the clip, as a camera never ends
            self.source.close()
            self.source = open_source(self.path, fps=ANALYSIS_FPS, threads=1)
            return next(self.source)


def _worker(
    paths: list[str],
    detector: str,
    seconds: float,
    ready: Barrier,
    out: mp.Queue,  # type: ignore[type-arg]
) -> None:
    """Analyse several streams in one process, each frame due at its 5 fps slot."""
    period = 1.0 / ANALYSIS_FPS
    streams = [
        _Stream(p, open_source(p, fps=ANALYSIS_FPS, threads=1), Pipeline(config(detector)))
        for p in paths
    ]
    ready.wait()  # every worker has imported and opened its streams
    start = time.time() + 0.5
    due = [(start + i * period / len(paths), i) for i in range(len(paths))]
    heapq.heapify(due)
    lateness: list[float] = []
    cpu = time.process_time()
    while due:
        when, i = heapq.heappop(due)
        if when > start + seconds:
            continue
        delay = when - time.time()
        if delay > 0:
            time.sleep(delay)
        streams[i].pipeline.process(streams[i].next_frame())
        lateness.append(time.time() - when)
        heapq.heappush(due, (when + period, i))
    out.put((lateness, time.process_time() - cpu, time.time() - start))


@dataclass(frozen=True)
class Confirm:
    streams: int
    frames: int
    expected: int
    late_p50_ms: float
    late_p99_ms: float
    cpu_share: float
    achieved_fps: float
    load: float

    @property
    def sustained(self) -> float:
        """Streams the achieved frame rate would serve at 5 fps each."""
        return min(float(self.streams), self.achieved_fps / ANALYSIS_FPS)

    @property
    def keeps_up(self) -> bool:
        return self.frames >= 0.98 * self.expected and self.late_p99_ms < 1000 / ANALYSIS_FPS


def confirm(path: Path, detector: str, streams: int) -> Confirm:
    """Run ``streams`` copies of the clip in real time, split over one process per core."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    sizes = [streams // CORES + (1 if k < streams % CORES else 0) for k in range(CORES)]
    groups = [[str(path)] * size for size in sizes if size]
    ready = ctx.Barrier(len(groups))
    procs = [
        ctx.Process(target=_worker, args=(group, detector, CONFIRM_S, ready, out))
        for group in groups
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=CONFIRM_S + 120) for _ in procs]
    for proc in procs:
        proc.join()
    late = [x for lateness, _, _ in results for x in lateness]
    cpu = sum(c for _, c, _ in results)
    elapsed = max(e for _, _, e in results)
    return Confirm(
        streams=streams,
        frames=len(late),
        expected=round(streams * CONFIRM_S * ANALYSIS_FPS),
        late_p50_ms=1000 * statistics.median(late),
        late_p99_ms=1000 * percentile(late, 99),
        cpu_share=cpu / (CONFIRM_S * CORES),
        achieved_fps=len(late) / max(elapsed, CONFIRM_S),
        load=os.getloadavg()[0],
    )


CONFIRMED = [
    ("idle", 25, "motion"),
    ("busy", 25, "motion"),
    ("idle", 5, "motion"),
    ("busy", 5, "motion"),
]


def say(message: str) -> None:
    print(f"[bench.video] {message}", file=sys.stderr, flush=True)


def main() -> None:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        say("generating 720p clips")
        clips = make_clips(Path(tmp))
        say("PyAV decode-only rates")
        decodes = {
            (name, mode): decode_only(clips[name], mode)
            for name in ("idle-25", "busy-25")
            for mode in ("plain", "single", "bgr", "keyframes")
        }
        say("pipeline cost per analysed frame")
        costs = {
            ("idle", 25, "motion"): analysis_cost(clips["idle-25"], "motion"),
            ("busy", 25, "motion"): analysis_cost(clips["busy-25"], "motion"),
            ("idle", 5, "motion"): analysis_cost(clips["idle-5"], "motion"),
            ("busy", 5, "motion"): analysis_cost(clips["busy-5"], "motion"),
            ("idle", 25, "hog_person"): analysis_cost(clips["idle-25"], "hog_person"),
            ("busy", 25, "hog_person"): analysis_cost(clips["busy-25"], "hog_person"),
        }
        confirms: dict[tuple[str, int, str], list[Confirm]] = {}
        for key in CONFIRMED:
            streams = max(1, costs[key].streams)
            say(f"confirming {streams} streams, {key[0]} scene at {key[1]} fps")
            runs = [confirm(clips[f"{key[0]}-{key[1]}"], key[2], streams)]
            if not runs[0].keeps_up and streams > 1:  # and a quarter fewer, to see the margin
                runs.append(confirm(clips[f"{key[0]}-{key[1]}"], key[2], streams * 3 // 4))
            confirms[key] = runs
    load_after = os.getloadavg()
    write(decodes, costs, confirms, load_before, load_after)


def write(
    decodes: dict[tuple[str, str], Decode],
    costs: dict[tuple[str, int, str], Cost],
    confirms: dict[tuple[str, int, str], list[Confirm]],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    mode_label = {
        "plain": "decode every frame (FFmpeg threads)",
        "single": "decode every frame, one thread",
        "bgr": "decode every frame + BGR array, FFmpeg threads",
        "keyframes": "key frames only (`skip_frame = NONKEY`)",
    }
    decode_rows = "\n".join(
        f"| {name.split('-')[0]} | {mode_label[mode]} | {d.frames / d.wall_s:,.0f} | "
        f"{d.frames / d.cpu_s:,.0f} |"
        for (name, mode), d in decodes.items()
    )
    detector_label = {"motion": "motion regions", "hog_person": "HOG people"}
    cost_rows = "\n".join(
        f"| {scene} | {fps} | {detector_label[det]} | {c.detector_runs}/{c.analysed} | "
        f"{c.per_frame_ms:.1f} | **{c.streams}** |"
        for (scene, fps, det), c in costs.items()
    )
    confirm_rows = "\n".join(
        f"| {scene} | {fps} | {detector_label[det]} | {c.streams} | "
        f"{c.late_p50_ms:.0f} | {c.late_p99_ms:.0f} | {c.cpu_share:.0%} | "
        f"{c.sustained:.0f} | {c.load:.1f} | {'yes' if c.keeps_up else 'no'} |"
        for (scene, fps, det), runs in confirms.items()
        for c in runs
    )
    body = f"""
Command: `.venv/bin/python -m bench.video` ({machine()}, {cpu_model()}).
Load average before the run {load_before[0]:.2f} (1 min), after {load_after[0]:.2f}; this
machine is shared, so the figures are a floor.

Clips generated by the benchmark: 1280 x 720 H.264 (libx264, a key frame every 2 s), {SECONDS} s;
*idle* is scikit-image's astronaut photo with sensor noise (sigma 3), *busy* is matplotlib's
Grace Hopper photo with three boxes and two walking silhouettes moving all the time. Each
is encoded at 25 fps (a camera's main stream) and at 5 fps (a sub-stream set to the
analysis rate, as NVRs advise).

Peer for reference, PyAV decoding alone (frames per second of wall time, and per CPU
second, with FFmpeg's own threads):

| scene | PyAV | fps | fps per CPU s |
|---|---|---:|---:|
{decode_rows}

Key frames alone are fast but give one picture per 2 s, too few for 5 fps analysis, so the
pipeline decodes every frame and converts only the ones it keeps.

Signalfire pipeline at 5 analysed frames/s (decode, motion gate on a 320 px grey copy,
detector only when something moves or is tracked, ByteTrack, a line, a zone, a dwell and a
count rule). Cost is CPU time of all threads per analysed frame, including the decoding
of the frames in between; streams = {CORES} cores / (5 x cost):

| scene | stream fps | detector | detector runs | CPU ms per frame | 720p streams |
|---|---:|---|---:|---:|---:|
{cost_rows}

Confirmation: that many copies of the stream in real time for {CONFIRM_S:.0f} s, split over
{CORES} worker processes, each frame due at its 5 fps slot (lateness = finish - due;
keeping up = p99 lateness under one frame period, 200 ms; served = the analysed frames per
second achieved, over 5; CPU = the workers' share of both cores; load = 1-minute load
average after the run, the workers' own included):

| scene | stream fps | detector | streams | late p50 ms | p99 ms | CPU | served | load | keeps up |
|---|---:|---|---:|---:|---:|---:|---:|---:|---|
{confirm_rows}

{decode_note(decodes, costs)}

{CONTENTION_NOTE}
"""
    record("Video analytics", body)
    print(body)


CONTENTION_NOTE = (
    "The confirmation needs two free cores. Where the load column is well above the "
    "workers' own share (CPU x 2), other processes held the cores, the workers fell behind "
    "and *served* counts what they got, not what two free cores give; the per-frame cost "
    "above, in CPU time, is the steadier figure."
)


def decode_note(
    decodes: dict[tuple[str, str], Decode], costs: dict[tuple[str, int, str], Cost]
) -> str:
    """How much of an idle analysed frame is decoding, from this run's own figures."""
    single = decodes[("idle-25", "single")]
    decode_ms = 1000 * single.cpu_s / single.frames * 25 / ANALYSIS_FPS
    idle = costs[("idle", 25, "motion")].per_frame_ms
    idle_5 = costs[("idle", 5, "motion")].per_frame_ms
    return (
        f"On the idle 25 fps stream the detector never runs; of its {idle:.1f} ms per analysed "
        f"frame, decoding the {25 / ANALYSIS_FPS:.0f} frames it stands for takes about "
        f"{decode_ms:.1f} ms (PyAV alone, one thread). A 5 fps sub-stream costs "
        f"{idle_5:.1f} ms per analysed frame."
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
