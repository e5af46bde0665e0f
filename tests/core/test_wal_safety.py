"""A command never deletes the WAL a server still writes to (issue 26, finding 1c).

SQLite deletes the WAL when a closing connection gets an exclusive lock on the database
file and so takes itself for the last user. If the server lost its POSIX locks (any
``close()`` of the file in its process drops them), a CLI command would checkpoint,
delete the WAL, and every commit the server made after that would vanish at a crash.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from signalfire.core.cli_support import runtime as cli_runtime
from signalfire.core.db import make_engine

# A stand-in for the server: holds the database open in WAL mode, commits rows on
# request, and on "drop" opens and closes the file as FFmpeg did, losing its locks.
HOLDER = """
import os, sqlite3, sys
path = sys.argv[1]
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
for line in sys.stdin:
    command, _, arg = line.strip().partition(" ")
    if command == "write":
        db.execute("INSERT INTO acknowledged (n) VALUES (?)", (int(arg),))
    elif command == "drop":
        os.close(os.open(path, os.O_RDONLY))
    print("ok", flush=True)
"""


class Holder:
    """The stand-in server process."""

    def __init__(self, database: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, command: str) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "ok"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def database(tmp_path: Path, sqlite_template: Path) -> Path:
    path = tmp_path / "signalfire.db"
    shutil.copy(sqlite_template, path)
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE acknowledged (n INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()
    return path


@pytest.fixture
def holder(database: Path) -> Iterator[Holder]:
    running = Holder(database)
    yield running
    if running.process.poll() is None:
        running.kill()


def rows(database: Path) -> list[int]:
    connection = sqlite3.connect(database)
    try:
        return [n for (n,) in connection.execute("SELECT n FROM acknowledged ORDER BY n")]
    finally:
        connection.close()


def test_a_command_beside_a_server_that_lost_its_locks_keeps_the_wal(
    database: Path, holder: Holder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for n in range(1, 6):
        holder.ask(f"write {n}")
    holder.ask("drop")  # the server's locks on the database file are gone
    monkeypatch.setenv("SIGNALFIRE_DATABASE__URL", f"sqlite:///{database}")
    monkeypatch.setenv("SIGNALFIRE_DATA_DIR", str(tmp_path))
    command = cli_runtime()  # what `signalfire audit head` and every other command use
    with command.reader() as db:
        assert db.execute(text("SELECT count(*) FROM acknowledged")).scalar_one() == 5
    command.engine.dispose()  # the command closes: it looks like the last connection
    assert Path(f"{database}-wal").exists()
    for n in range(6, 11):
        holder.ask(f"write {n}")
    holder.kill()
    assert rows(database) == list(range(1, 11))


def test_a_commands_own_writes_stay_when_it_keeps_the_wal(database: Path) -> None:
    engine = make_engine(f"sqlite:///{database}", keep_wal=True)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO acknowledged (n) VALUES (7)"))
    engine.dispose()
    assert Path(f"{database}-wal").exists()
    assert rows(database) == [7]  # read through the WAL; this reader's close checkpoints
    assert not Path(f"{database}-wal").exists()
    again = make_engine(f"sqlite:///{database}", keep_wal=True)
    with again.connect() as connection:
        assert connection.execute(text("SELECT n FROM acknowledged")).scalars().all() == [7]
    again.dispose()


def test_a_server_engine_still_checkpoints_and_removes_the_wal_on_close(database: Path) -> None:
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO acknowledged (n) VALUES (8)"))
    engine.dispose()
    assert not Path(f"{database}-wal").exists()
    assert rows(database) == [8]
    assert os.path.getsize(database) > 0
