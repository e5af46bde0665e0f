"""The media layer never opens the process's SQLite files: closing any descriptor of a
file drops the process's POSIX locks on it (issue 26, finding 1b)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from signalfire.redaction import media
from signalfire.redaction.analysis import sha256_of
from signalfire.redaction.errors import UnreadableVideo
from tests.redaction.support import grace_hopper, write_clip


def posix_locks(pid: int, path: Path) -> list[str]:
    """The POSIX locks of process ``pid`` on ``path``'s inode, from /proc/locks (without
    the line numbers, which change as other locks come and go)."""
    inode = os.stat(path).st_ino
    lines = Path("/proc/locks").read_text().splitlines()
    return [
        " ".join(line.split()[1:])
        for line in lines
        if "POSIX" in line
        and line.split()[-4] == str(pid)
        and line.split()[-3].rsplit(":", 1)[1] == str(inode)
    ]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    """A WAL-mode database this process holds open (and so holds locks on)."""
    path = tmp_path / "signalfire.db"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (a)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    connection.execute("SELECT * FROM t").fetchall()  # a reader keeps its SHARED lock
    media.never_open(path)
    yield path
    connection.close()


def test_the_database_its_siblings_and_links_to_them_are_refused_without_opening(
    database: Path, tmp_path: Path
) -> None:
    held = posix_locks(os.getpid(), database)
    assert held, "sqlite holds a lock on its database in WAL mode"
    (tmp_path / "link.mp4").symlink_to(database)
    (tmp_path / "shm-link.mp4").symlink_to(f"{database}-shm")
    named = [
        database,
        Path(f"{database}-wal"),
        Path(f"{database}-shm"),
        tmp_path / "link.mp4",
        tmp_path / "shm-link.mp4",
        tmp_path / ".." / tmp_path.name / "signalfire.db",
    ]
    for path in named:
        with pytest.raises(UnreadableVideo, match="database file of this server"):
            media.probe(path)
        with pytest.raises(UnreadableVideo, match="database file of this server"):
            list(media.frames(path))
        with pytest.raises(UnreadableVideo, match="database file of this server"):
            sha256_of(path)
    assert posix_locks(os.getpid(), database) == held  # nothing opened, nothing dropped


def test_a_journal_a_directory_a_device_and_a_missing_file_are_refused(
    database: Path, tmp_path: Path
) -> None:
    journal = Path(f"{database}-journal")
    journal.write_bytes(b"")
    with pytest.raises(UnreadableVideo, match="database file"):
        media.check_source(journal)
    for path, problem in [
        (tmp_path, "not a regular file"),
        (Path("/dev/zero"), "not a regular file"),
        (tmp_path / "missing.mp4", "does not exist"),
        (tmp_path / "a\x00b", "does not exist"),
        (tmp_path / ("x" * 5000), "does not exist"),
    ]:
        with pytest.raises(UnreadableVideo, match=problem):
            media.probe(path)


def test_an_ordinary_clip_beside_the_database_is_read(database: Path, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", grace_hopper(), lambda _: (10, 10), frames=3)
    assert media.probe(clip.path).width == 320
    assert len(sha256_of(clip.path)) == 64
