"""A supervisor in a process of its own, for a test to kill: ``python -m
tests.cameras.lease_process DATABASE_URL DATA_DIR``. It holds camera leases with the
default settings over a backend that runs nothing."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from signalfire.cameras.workers.supervisor import Supervisor
from tests.cameras.leases import FakeBackend, Ledger, video_runtime


def main(database_url: str, data_dir: str) -> None:
    runtime = video_runtime(database_url, Path(data_dir))
    supervisor = Supervisor(runtime, FakeBackend("process", Ledger()))
    print(supervisor.holder, flush=True)
    supervisor.run(threading.Event())  # until killed


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
