"""``signalfire redact``: hide faces in a clip from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from signalfire.redaction.errors import RedactionError
from signalfire.redaction.options import Edits, RedactionOptions

err = Console(stderr=True)
_STAGES = {"analyse": "finding faces", "render": "hiding and encoding"}


def fail(message: str) -> None:
    """Print ``message`` in red on stderr, verbatim."""
    err.print(message, style="red", markup=False, highlight=False)


def _edits(path: Path | None) -> Edits:
    if path is None:
        return Edits()
    try:
        return Edits.model_validate(json.loads(path.read_text()))
    except (OSError, json.JSONDecodeError, ValidationError) as exc:
        fail(f"error: edits file {path}: {exc}")
        raise typer.Exit(2) from exc


def redact(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="The clip to redact.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the MP4.")],
    report: Annotated[
        Path | None, typer.Option(help="Write the redaction report (JSON) here.")
    ] = None,
    scale: Annotated[
        int, typer.Option(help="Detection frame height: 360 (fast) or 720 (small faces).")
    ] = 360,
    method: Annotated[
        Literal["blur", "pixelate", "black"], typer.Option(help="How faces are hidden.")
    ] = "blur",
    mute: Annotated[bool, typer.Option(help="Drop the audio.")] = False,
    plates: Annotated[
        bool, typer.Option(help="Also hide moving text, such as licence plates.")
    ] = False,
    edits: Annotated[
        Path | None,
        typer.Option(help="Reviewer's edits (JSON: removed_tracks, boxes, whole_frames)."),
    ] = None,
    detect_every: Annotated[
        int, typer.Option(help="Run the detector on every n-th frame (tracks fill the rest).")
    ] = 1,
) -> None:
    """Hide every face in INPUT, tracked through the clip, and write H.264 MP4."""
    from signalfire.redaction.clip import redact_video

    try:
        options = RedactionOptions(
            scale=scale, method=method, mute=mute, detect_every=detect_every, plates=plates
        )
    except ValidationError as exc:
        fail(f"error: {exc}")
        raise typer.Exit(2) from exc
    changes = _edits(edits)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks = {stage: bar.add_task(text, total=None) for stage, text in _STAGES.items()}

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(tasks[stage], completed=done, total=total or None)

        try:
            result = redact_video(
                input_path, output, options=options, edits=changes, progress=progress
            )
        except RedactionError as exc:
            fail(f"error: {exc.detail}")
            raise typer.Exit(1) from exc
    if report is not None:
        report.write_text(result.model_dump_json(indent=2) + "\n")
    kept = sum(1 for t in result.tracks if t.status == "kept")
    assert result.output is not None
    typer.echo(
        f"{output}: {result.output.frames} frames, {kept} tracks hidden, "
        f"{result.frames_masked} frames with masks, sha256 {result.output.sha256}"
    )
