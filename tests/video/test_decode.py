"""Decoding generated clips with PyAV, sampling at an analysis rate, and failing clearly."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from signalfire.video.decode import SourceError, open_source
from signalfire.video.synthetic import Mover
from tests.video import scenes


@pytest.fixture(scope="module")
def coffee_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mover = Mover([(40, 180), (600, 180)], [0.0, 3.0], size=(40, 40), color=(0, 255, 0))
    path = tmp_path_factory.mktemp("decode") / "coffee.mp4"
    return scenes.clip(path, scenes.coffee(), [mover], seconds=3.0, fps=25, noise=0.0)


def test_frames_are_bgr_pictures_of_the_clip(coffee_clip: Path) -> None:
    background = scenes.coffee()
    with open_source(str(coffee_clip)) as source:
        assert (source.width, source.height, source.fps) == (640, 360, 25.0)
        frames = list(source)
    assert len(frames) == 75
    first = frames[0].image
    assert first.shape == (360, 640, 3)
    assert first.dtype == np.uint8
    # Away from the green box, the decoded picture is the photo (up to H.264 loss).
    error = np.abs(first[:, 200:].astype(int) - background[:, 200:].astype(int)).mean()
    assert error < 6.0
    assert [round(f.pts_s, 2) for f in frames[:3]] == [0.0, 0.04, 0.08]


def test_sampling_keeps_the_analysis_rate(coffee_clip: Path) -> None:
    with open_source(str(coffee_clip), fps=5.0) as source:
        times = [round(frame.pts_s, 2) for frame in source]
        assert source.decoded == 75
    assert times == [round(0.2 * i, 2) for i in range(15)]


def test_green_box_moves_right_in_decoded_frames(coffee_clip: Path) -> None:
    with open_source(str(coffee_clip), fps=1.0) as source:
        columns = []
        for frame in source:
            blue, green, red = (frame.image[160:200, :, i].astype(int) for i in range(3))
            box = (green > 180) & (blue < 90) & (red < 90)
            columns.append(float(np.nonzero(box)[1].mean()))
    assert len(columns) == 3
    assert columns[0] < columns[1] < columns[2]
    assert columns[1] == pytest.approx(40 + 560 / 3, abs=8)


def test_corrupt_file_raises_source_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "broken.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64)
    with pytest.raises(SourceError, match=r"broken\.mp4: cannot open: Invalid data"):
        open_source(str(corrupt))


def test_damaged_file_raises_source_error(tmp_path: Path, coffee_clip: Path) -> None:
    data = coffee_clip.read_bytes()
    damaged = tmp_path / "damaged.mp4"
    # Keep the header, scramble the rest: the container opens, the pictures do not decode.
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, len(data) - 4096, dtype=np.uint8).tobytes()
    damaged.write_bytes(data[:4096] + noise)
    with pytest.raises(SourceError, match=r"damaged\.mp4"), open_source(str(damaged)) as source:
        for _ in source:
            pass


def test_missing_file_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot open: No such file or directory"):
        open_source(str(tmp_path / "nowhere.mp4"))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("scheme", ["rtsp", "http"])
def test_unreachable_url_raises_source_error(scheme: str) -> None:
    url = f"{scheme}://viewer:hunter2@127.0.0.1:{_closed_port()}/live"
    with pytest.raises(SourceError, match="cannot open: Connection refused") as caught:
        open_source(url, timeout_s=2.0)
    assert "hunter2" not in str(caught.value)
    assert "viewer:***@127.0.0.1" in str(caught.value)


def test_silent_server_times_out_with_source_error() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with pytest.raises(SourceError, match="cannot open"):
            open_source(f"rtsp://127.0.0.1:{port}/live", timeout_s=0.5)


def test_single_threaded_decoding_gives_the_same_pictures(coffee_clip: Path) -> None:
    with open_source(str(coffee_clip), fps=5.0) as threaded:
        expected = [frame.image for frame in threaded]
    with open_source(str(coffee_clip), fps=5.0, threads=1) as single:
        got = [frame.image for frame in single]
    assert len(got) == len(expected) == 15
    assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))


def test_negative_thread_count_is_refused(coffee_clip: Path) -> None:
    with pytest.raises(ValueError, match="threads must be 0"):
        open_source(str(coffee_clip), threads=-1)
