"""Exponential back-off between attempts to reach a failing camera."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Waits that double after each failure, up to ``maximum``; a success resets them.

    >>> b = Backoff(initial=2.0, maximum=10.0)
    >>> [b.next() for _ in range(5)]
    [2.0, 4.0, 8.0, 10.0, 10.0]
    >>> b.failures
    5
    >>> b.reset(); b.next()
    2.0
    """

    initial: float
    maximum: float
    failures: int = field(default=0, init=False)

    def next(self) -> float:
        """Count a failure and return how long to wait before the next attempt."""
        wait = min(self.maximum, self.initial * 2.0 ** min(self.failures, 60))
        self.failures += 1
        return wait

    def reset(self) -> None:
        """The source works again: the next failure waits ``initial`` seconds."""
        self.failures = 0
