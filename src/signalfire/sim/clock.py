"""Simulated time: paced against the wall clock (N times real time), or stepped from event
to event as fast as the machine allows (training replays, tests)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta


class PacedClock:
    """Runs ``speed`` times faster than the wall clock, starting at ``start``.

    >>> from datetime import UTC
    >>> clock = PacedClock(datetime(2026, 1, 1, tzinfo=UTC), speed=60)
    >>> 0 <= (clock.now() - clock.start).total_seconds() < 60
    True
    """

    def __init__(self, start: datetime, *, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, not {speed}")
        self.start, self.speed = start, speed
        self._wall_start = time.monotonic()

    def now(self) -> datetime:
        """The simulated time now."""
        return self.start + timedelta(seconds=(time.monotonic() - self._wall_start) * self.speed)

    def wall_seconds_until(self, when: datetime) -> float:
        """Real seconds until the simulated time reaches ``when`` (0 if it has)."""
        return max(0.0, (when - self.now()).total_seconds() / self.speed)


class SteppedClock:
    """Stands still until :meth:`advance_to` moves it; never goes backwards.

    >>> from datetime import UTC
    >>> clock = SteppedClock(datetime(2026, 1, 1, tzinfo=UTC))
    >>> clock.advance_to(datetime(2026, 1, 1, 0, 5, tzinfo=UTC))
    >>> clock.now().minute
    5
    """

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The simulated time now."""
        return self._now

    def advance_to(self, when: datetime) -> None:
        """Move the clock forward to ``when`` (earlier times are ignored)."""
        with self._lock:
            self._now = max(self._now, when)
