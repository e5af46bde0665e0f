"""``signalfire redact`` from the command line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from signalfire.cli import app
from tests.redaction.support import decode, grace_hopper, write_clip

runner = CliRunner()


def test_redact_writes_video_and_report(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "in.mp4", grace_hopper(), lambda i: (20 + 2 * i, 50), frames=30)
    edits = tmp_path / "edits.json"
    edits.write_text(json.dumps({"whole_frames": [{"start_frame": 0, "end_frame": 1}]}))
    out, report = tmp_path / "out.mp4", tmp_path / "report.json"
    result = runner.invoke(
        app,
        [
            "redact",
            str(clip.path),
            "-o",
            str(out),
            "--report",
            str(report),
            "--method",
            "black",
            "--mute",
            "--edits",
            str(edits),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text())
    assert data["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert data["options"]["method"] == "black"
    assert data["audio"] == "none"
    assert [t["kind"] for t in data["tracks"]] == ["face"]
    assert data["tracks"][0]["masked_from"] == 0
    assert data["whole_frames"] == [{"start_frame": 0, "end_frame": 1, "note": None}]
    assert len(decode(out)) == 30
    assert data["output"]["sha256"] in result.output


def test_redact_refuses_damaged_input_and_bad_edits(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 1000)
    result = runner.invoke(app, ["redact", str(bad), "-o", str(tmp_path / "out.mp4")])
    assert result.exit_code == 1
    assert "bad.mp4" in result.output
    assert not (tmp_path / "out.mp4").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4"]
    edits = tmp_path / "edits.json"
    edits.write_text(
        json.dumps({"boxes": [{"start_frame": 3, "end_frame": 1, "box": [0, 0, 5, 5]}]})
    )
    result = runner.invoke(
        app, ["redact", str(bad), "-o", str(tmp_path / "out.mp4"), "--edits", str(edits)]
    )
    assert result.exit_code == 2
    assert "end_frame must not be before start_frame" in result.output
