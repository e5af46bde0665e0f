"""Where a camera's files live under the data directory, and writing them safely.

Everything is written to a temporary name and renamed into place, so a reader never
sees half a file. The database stores paths relative to the data directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

__all__ = ["Path", "absolute", "camera_dir", "write_atomically"]


def camera_dir(data_dir: Path, camera_id: int) -> Path:
    """The directory of one camera's snapshots, event pictures and recordings.

    >>> camera_dir(Path("/var/sf"), 7).as_posix()
    '/var/sf/cameras/7'
    """
    return data_dir / "cameras" / str(camera_id)


def latest_snapshot(data_dir: Path, camera_id: int) -> Path:
    """The camera's most recent picture (faces blurred)."""
    return camera_dir(data_dir, camera_id) / "latest.jpg"


def event_snapshot(data_dir: Path, camera_id: int, at: datetime, key: str) -> Path:
    """Where the picture of an analysis event goes."""
    day = at.strftime("%Y%m%d")
    return camera_dir(data_dir, camera_id) / "events" / day / f"{at:%H%M%S%f}-{key}.jpg"


def segments_dir(data_dir: Path, camera_id: int) -> Path:
    """Where a camera's recorded segments go."""
    return camera_dir(data_dir, camera_id) / "segments"


def relative(data_dir: Path, path: Path) -> str:
    """``path`` as stored in the database (relative to the data directory).

    >>> relative(Path("/d"), Path("/d/cameras/1/latest.jpg"))
    'cameras/1/latest.jpg'
    """
    return path.relative_to(data_dir).as_posix()


def absolute(data_dir: Path, stored: str) -> Path:
    """A stored relative path, resolved against the data directory."""
    return data_dir / stored


def write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_camera_files(data_dir: Path, camera_id: int) -> None:
    """Delete everything stored for a camera."""
    shutil.rmtree(camera_dir(data_dir, camera_id), ignore_errors=True)
