"""`signalfire train`: list, check and run scenarios from the command line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from signalfire.cli import app

BAD = """\
name: Broken
duration: 10:00
calls:
  - id: first
    at: 1:00
    nature: FIRE-XYZ
    location: {address: "Bulevardi 6"}
    text: smoke
  - id: second
    at: 2:00
    nature: MED-FALL
    location: {lat: 60.165, lon: 24.94}
    text: fell
    colour: red
"""


def test_check_names_the_line_and_field_of_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BAD)
    result = CliRunner().invoke(app, ["train", "check", str(path)])
    assert result.exit_code == 2
    assert "broken.yaml:6: calls[0].nature: unknown nature code 'FIRE-XYZ'" in result.output
    assert "broken.yaml:14: calls[1].colour: unknown field 'colour'" in result.output


def test_list_shows_the_shipped_scenarios() -> None:
    result = CliRunner().invoke(app, ["train", "list"])
    assert result.exit_code == 0
    for name in ("multi_vehicle_collision", "structure_fire", "night_shift"):
        assert name in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_run_serves_the_trainee_and_writes_its_score_report(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFIRE_")}
    env["SIGNALFIRE_LOG__LEVEL"] = "WARNING"
    command = [
        *(sys.executable, "-m", "signalfire", "train", "run", "multi_vehicle_collision"),
        *("--trainee", "tia.trainee", "--speed", "300", "--port", str(free_port())),
        *("--out", str(tmp_path / "report")),
    ]
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "user 'tia.trainee', password '" in done.stdout
    report = json.loads((tmp_path / "report" / "score.json").read_text())
    assert report["trainee"] == "tia.trainee"
    assert [c["call_id"] for c in report["calls"]] == [
        "crash-first",
        "crash-tram-driver",
        "crash-passer-by",
        "crash-shop",
    ]
    assert report["score"] == 0.0  # nobody dispatched anything
    assert "tia.trainee" in (tmp_path / "report" / "score.html").read_text()
