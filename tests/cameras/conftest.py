"""Fixtures of the camera tests: a runtime whose server runs no workers of its own (the
tests start them), files played as fast as they decode, once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from signalfire.core.config import load_settings
from signalfire.core.runtime import Runtime, build_runtime

VIDEO = {
    "workers": 0,
    "files_in_real_time": False,
    "loop_files": False,
    "retry_initial_s": 0.5,
    "retry_max_s": 4.0,
    "snapshot_interval_s": 0.2,
}


@pytest.fixture
def runtime(database_url: str, road_cache: Path, tmp_path: Path) -> Iterator[Runtime]:
    """The platform on the test database, with test-friendly video settings."""
    rt = build_runtime(
        load_settings(
            database={"url": database_url},
            data_dir=tmp_path / "data",
            geo={"cache_dir": road_cache, "preload": False},
            video=VIDEO,
        )
    )
    yield rt
    rt.engine.dispose()
