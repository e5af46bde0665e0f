"""The simulator's agenda: actions due at simulated times, run in time order."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from signalfire.sim.clock import PacedClock, SteppedClock

log = logging.getLogger(__name__)
Action = Callable[[], None]


@dataclass(order=True)
class _Entry:
    due: datetime
    seq: int
    action: Action = field(compare=False)


class Scheduler:
    """A time-ordered queue of actions; ties run in the order they were scheduled.

    >>> from datetime import UTC
    >>> start = datetime(2026, 1, 1, tzinfo=UTC)
    >>> clock, ran = SteppedClock(start), []
    >>> agenda = Scheduler(clock.now)
    >>> agenda.after(20, lambda: ran.append("b"))
    >>> agenda.after(10, lambda: ran.append("a"))
    >>> agenda.run_stepped(clock, until=start + timedelta(seconds=60))
    >>> ran, clock.now() == start + timedelta(seconds=60)
    (['a', 'b'], True)
    """

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self._queue: list[_Entry] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._wake = threading.Event()

    def at(self, due: datetime, action: Action) -> None:
        """Run ``action`` once the simulated time reaches ``due``."""
        with self._lock:
            heapq.heappush(self._queue, _Entry(due, next(self._seq), action))
        self._wake.set()

    def after(self, seconds: float, action: Action) -> None:
        """Run ``action`` ``seconds`` of simulated time from now."""
        self.at(self.now() + timedelta(seconds=seconds), action)

    def every(self, seconds: float, action: Action) -> None:
        """Run ``action`` now and then every ``seconds`` of simulated time."""

        def repeat() -> None:
            action()
            self.after(seconds, repeat)

        self.at(self.now(), repeat)

    def _pop_due(self, limit: datetime) -> _Entry | None:
        with self._lock:
            if self._queue and self._queue[0].due <= limit:
                return heapq.heappop(self._queue)
            return None

    def _next_due(self) -> datetime | None:
        with self._lock:
            return self._queue[0].due if self._queue else None

    def run_stepped(self, clock: SteppedClock, *, until: datetime) -> None:
        """Run everything due up to ``until`` with no waiting, moving ``clock`` to each
        action's time; an action's error stops the run (replays must be exact)."""
        while (entry := self._pop_due(until)) is not None:
            clock.advance_to(entry.due)
            entry.action()
        clock.advance_to(until)

    def run_paced(self, clock: PacedClock, stop: threading.Event) -> None:
        """Run actions as the paced clock reaches them, until ``stop`` is set; an
        action's error is logged and the simulation goes on."""
        while not stop.is_set():
            due = self._next_due()
            wait = 1.0 if due is None else min(1.0, clock.wall_seconds_until(due))
            if wait > 0:
                self._wake.clear()
                self._wake.wait(wait)
                continue
            entry = self._pop_due(clock.now())
            if entry is None:
                continue
            try:
                entry.action()
            except Exception:
                log.exception("simulation step failed")
