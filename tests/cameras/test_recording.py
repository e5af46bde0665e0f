"""Recording without re-encoding: segments carry the source's packets unchanged."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import av
import pytest

from signalfire.cameras.recordings.clips import concatenate
from signalfire.cameras.recordings.segment_writer import record
from signalfire.cameras.workers.messages import SegmentReport
from signalfire.core.errors import Conflict
from signalfire.video.decode import SourceError
from tests.cameras.media import corrupt_file, moving_square, write_video


def packets(path: Path) -> list[tuple[bytes, bool]]:
    """Every packet's payload and keyframe flag, in file order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [(bytes(p), p.is_keyframe) for p in container.demux(stream) if p.size]


def codec_of(path: Path) -> tuple[str, int, int, bytes]:
    with av.open(str(path)) as container:
        ctx = container.streams.video[0].codec_context
        return ctx.name, ctx.width, ctx.height, bytes(ctx.extradata or b"")


def decoded_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """6 s of H.264 at 10 fps with a keyframe every second."""
    return write_video(tmp_path / "source.mp4", 60, moving_square(frames=60), fps=10, gop=10)


def recorded(source: Path, out: Path, segment_s: float) -> list[SegmentReport]:
    segments: list[SegmentReport] = []
    copied = record(
        str(source),
        camera_id=3,
        out_dir=out,
        segment_s=segment_s,
        on_segment=segments.append,
        stop=threading.Event(),
    )
    assert copied == len(packets(source))
    return segments


def test_segments_hold_the_source_packets_unchanged(source: Path, tmp_path: Path) -> None:
    segments = recorded(source, tmp_path / "rec", segment_s=2.0)
    assert len(segments) == 3
    paths = [Path(s.path) for s in segments]
    assert [p for s in paths for p in packets(s)] == packets(source)
    for path, report in zip(paths, segments, strict=True):
        assert codec_of(path) == codec_of(source)
        assert packets(path)[0][1], "a segment starts on a keyframe"
        assert report.frames == decoded_frames(path) == 20
        assert report.size_bytes == path.stat().st_size
        assert report.codec == "h264"
        assert report.ended_at - report.started_at == pytest.approx(2.0)
    assert [b.started_at - a.started_at for a, b in itertools.pairwise(segments)] == [
        pytest.approx(2.0),
        pytest.approx(2.0),
    ]
    assert not list((tmp_path / "rec").rglob(".part-*"))


def test_a_segment_is_cut_only_on_a_keyframe(source: Path, tmp_path: Path) -> None:
    segments = recorded(source, tmp_path / "rec", segment_s=1.5)  # keyframes every 1 s
    assert [s.frames for s in segments] == [20, 20, 20]


def test_joined_segments_play_as_the_source(source: Path, tmp_path: Path) -> None:
    segments = recorded(source, tmp_path / "rec", segment_s=2.0)
    clip = tmp_path / "clip.mp4"
    assert concatenate([Path(s.path) for s in segments], clip) == 60
    assert packets(clip) == packets(source)
    assert codec_of(clip) == codec_of(source)
    assert decoded_frames(clip) == 60
    with av.open(str(clip)) as container:
        times = [int(p.pts or 0) for p in container.demux(video=0) if p.size]
    assert times == sorted(times)
    assert len(set(times)) == 60
    with pytest.raises(Conflict):
        concatenate([], tmp_path / "nothing.mp4")
    assert not (tmp_path / "nothing.mp4").exists()


def test_a_corrupt_source_raises_and_leaves_no_files(tmp_path: Path) -> None:
    bad = corrupt_file(tmp_path / "bad.mp4")
    with pytest.raises(SourceError, match=r"bad\.mp4"):
        record(
            str(bad),
            camera_id=1,
            out_dir=tmp_path / "rec",
            segment_s=2,
            on_segment=lambda _s: None,
            stop=threading.Event(),
        )
    assert not list(tmp_path.rglob("*.part-*"))
    assert not (tmp_path / "rec").exists() or not list((tmp_path / "rec").rglob("*.mp4"))


def test_an_unreachable_stream_fails_without_showing_its_password(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as failure:
        record(
            "rtsp://viewer:s3cret@127.0.0.1:9/live",
            camera_id=1,
            out_dir=tmp_path / "rec",
            segment_s=2,
            on_segment=lambda _s: None,
            stop=threading.Event(),
            timeout_s=2,
        )
    assert "cannot open for recording" in str(failure.value)
    assert "s3cret" not in str(failure.value)
    assert "viewer:***@127.0.0.1" in str(failure.value)
