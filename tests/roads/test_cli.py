"""``signalfire roads build``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalfire.cli import app


def test_build_caches_the_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALFIRE_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["roads", "build"])
    assert result.exit_code == 0, result.output
    assert "road segments" in result.output
    assert len(list((tmp_path / "cache").glob("roads-*.npz"))) == 1


def test_a_missing_extract_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALFIRE_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["roads", "build", str(tmp_path / "nowhere.osm.pbf")])
    assert result.exit_code == 2
    assert "nowhere.osm.pbf" in result.output
