"""Group commit: requests that arrive together share one transaction.

A burst of small writes (incident intake) spends most of its time on what every
transaction costs: a worker thread, SQLite's write lock, the commit, the audit chain's
head row, and one statement per row. :class:`GroupCommit` hands the items queued for
the same *write* function to it together, on one writer thread, and commits once for
all of them.

- ``write(db, items)`` answers each item with its result or its error; an item answered
  with an error must have written nothing (check first, then write).
- If ``write`` raises, the batch is rolled back and written again with each group of
  items in a savepoint, and the items of a group that raises again one by one, each in
  a savepoint of its own: only the item that broke it fails, and the events a failed
  try staged are dropped. (Savepoints only then: SQLAlchemy compiles every
  ``SAVEPOINT`` anew, which costs a batch more than some of its statements.)
- A commit that fails fails every item of its batch: nothing of it was stored.
- Callers hear of their result only after the commit, so no one is told of a change
  that is not in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from signalfire.core.events import drop_staged_after, staged_count

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - the conventional name of an item type
BulkWrite = Callable[[Session, list[I]], list[T | Exception]]


@dataclass(slots=True)
class _Job(Generic[I, T]):
    write: BulkWrite[I, T]
    item: I
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]


@dataclass(slots=True)
class _Outcome:
    job: _Job[Any, Any]
    value: Any = None
    error: BaseException | None = None


class GroupCommit:
    """Write queued items on one writer thread, committing each batch once.

    The thread starts with the first item and ends after ``idle_seconds`` with nothing
    to do, so an idle install holds no thread.
    """

    def __init__(
        self, sessions: sessionmaker[Session], *, max_batch: int = 64, idle_seconds: float = 1.0
    ) -> None:
        self._sessions = sessions
        self.max_batch = max_batch
        self._idle_seconds = idle_seconds
        self._pending: deque[_Job[Any, Any]] = deque()
        self._wake = threading.Condition()
        self._running = False
        self.batches = 0  # how many transactions it committed or tried, for tests and metrics

    async def run(self, write: BulkWrite[I, T], item: I) -> T:
        """Hand ``item`` to ``write`` with the other items queued for it; its result once
        committed, or its error raised.

        If the caller stops waiting, the item is still written (or not) with its batch.
        """
        loop = asyncio.get_running_loop()
        job = _Job(write, item, loop, loop.create_future())
        with self._wake:
            self._pending.append(job)
            if self._running:
                self._wake.notify()
            else:
                self._running = True
                threading.Thread(target=self._serve, name="group-commit", daemon=True).start()
        result: T = await job.future
        return result

    def _serve(self) -> None:
        while True:
            with self._wake:
                if not self._pending:
                    self._wake.wait(self._idle_seconds)
                if not self._pending:
                    self._running = False
                    return
                count = min(len(self._pending), self.max_batch)
                jobs = [self._pending.popleft() for _ in range(count)]
            self._deliver(self._run_batch(jobs))

    def _run_batch(self, jobs: list[_Job[Any, Any]]) -> list[_Outcome]:
        self.batches += 1
        groups: dict[BulkWrite[Any, Any], list[_Job[Any, Any]]] = {}
        for job in jobs:
            groups.setdefault(job.write, []).append(job)
        try:
            with self._sessions() as db:
                outcomes = _write_straight(db, groups)
                if outcomes is None:  # a write raised: again, carefully
                    db.rollback()
                    drop_staged_after(db, 0)  # also when nothing had begun a transaction
                    db.expunge_all()  # the try's objects: the retry makes them anew
                    outcomes = [
                        out for write, group in groups.items() for out in _try(db, write, group)
                    ]
                db.commit()
        except BaseException as exc:  # the commit failed: none of the batch was stored
            return [_Outcome(job, error=exc) for job in jobs]
        return outcomes

    @staticmethod
    def _deliver(outcomes: list[_Outcome]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome.job.loop, []).append(outcome)
        for loop, mine in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop closed: nobody waits
                loop.call_soon_threadsafe(_settle, mine)


def _write_straight(
    db: Session, groups: dict[BulkWrite[Any, Any], list[_Job[Any, Any]]]
) -> list[_Outcome] | None:
    """Every group written in the batch's transaction as it is; ``None`` if a write
    raised (the transaction then holds a part of the batch: roll it back)."""
    outcomes = []
    for write, jobs in groups.items():
        try:
            results = write(db, [job.item for job in jobs])
        except Exception:
            return None
        outcomes += _answers(jobs, results)
    return outcomes


def _answers(jobs: list[_Job[Any, Any]], results: list[Any]) -> list[_Outcome]:
    return [
        _Outcome(job, error=result) if isinstance(result, Exception) else _Outcome(job, result)
        for job, result in zip(jobs, results, strict=True)
    ]


def _try(db: Session, write: BulkWrite[Any, Any], jobs: list[_Job[Any, Any]]) -> list[_Outcome]:
    """Write ``jobs`` together in a savepoint; if that raises, each alone."""
    mark = staged_count(db)
    try:
        with db.begin_nested():
            results = write(db, [job.item for job in jobs])
    except Exception as exc:
        drop_staged_after(db, mark)
        if len(jobs) == 1:
            return [_Outcome(jobs[0], error=exc)]
        return [out for job in jobs for out in _try(db, write, [job])]
    return _answers(jobs, results)


def _settle(outcomes: list[_Outcome]) -> None:
    for outcome in outcomes:
        future = outcome.job.future
        if future.done():  # the caller gave up waiting
            continue
        if outcome.error is not None:
            future.set_exception(outcome.error)
        else:
            future.set_result(outcome.value)
