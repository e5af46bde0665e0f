"""Group commit: many small units of work share one transaction.

A burst of small writes (incident intake) spends most of its time on what every
transaction costs: a worker thread, SQLite's write lock, the commit, the audit chain's
head row. :class:`GroupCommit` runs the units queued meanwhile one after another on one
writer thread, each inside a savepoint of a shared transaction, and commits once for all.

- A unit that raises rolls back to its savepoint and drops the events it staged; the
  others are not touched. ``on_error`` may then record the failure in the same
  transaction (an access denial is audited this way).
- Items for the same *bulk* function are handed to it together, so it can write all
  their rows with one statement per table. It answers each item with its result or
  its error (an invalid item must write nothing). If it raises, the items are tried
  again one by one, so only the item that broke it fails.
- A commit that fails fails every unit of its batch: nothing of it was stored.
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
ErrorHook = Callable[[Session, Exception], None]
BulkWrite = Callable[[Session, list[I]], list[T | Exception]]


@dataclass(slots=True)
class _Job(Generic[T]):
    work: Callable[[Session], T] | None
    on_error: ErrorHook | None
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]
    bulk: BulkWrite[Any, T] | None = None
    item: Any = None


@dataclass(slots=True)
class _Outcome:
    job: _Job[Any]
    value: Any = None
    error: BaseException | None = None


class GroupCommit:
    """Run units of work on one writer thread, committing each batch once.

    The thread starts with the first unit and ends after ``idle_seconds`` with nothing
    to do, so an idle install holds no thread.
    """

    def __init__(
        self, sessions: sessionmaker[Session], *, max_batch: int = 64, idle_seconds: float = 1.0
    ) -> None:
        self._sessions = sessions
        self.max_batch = max_batch
        self._idle_seconds = idle_seconds
        self._pending: deque[_Job[Any]] = deque()
        self._wake = threading.Condition()
        self._running = False
        self.batches = 0  # how many transactions it committed or tried, for tests and metrics

    async def run(self, work: Callable[[Session], T], *, on_error: ErrorHook | None = None) -> T:
        """Run ``work(db)`` in the next batch's transaction; its result once committed.

        ``work`` must not commit; it raises to undo itself. If the caller stops waiting,
        the work is still done (or not) with its batch.
        """
        loop = asyncio.get_running_loop()
        return await self._queue(_Job(work, on_error, loop, loop.create_future()))

    async def run_bulk(self, write: BulkWrite[I, T], item: I) -> T:
        """Hand ``item`` to ``write`` with the other items queued for it; its result
        once committed, or its error raised."""
        loop = asyncio.get_running_loop()
        return await self._queue(_Job(None, None, loop, loop.create_future(), write, item))

    async def _queue(self, job: _Job[T]) -> T:
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

    def _run_batch(self, jobs: list[_Job[Any]]) -> list[_Outcome]:
        self.batches += 1
        try:
            with self._sessions() as db:
                outcomes = [
                    self._run_one(db, job, job.work) for job in jobs if job.work is not None
                ]
                groups: dict[BulkWrite[Any, Any], list[_Job[Any]]] = {}
                for job in jobs:
                    if job.bulk is not None:
                        groups.setdefault(job.bulk, []).append(job)
                for write, members in groups.items():
                    outcomes += self._run_bulk(db, write, members)
                db.commit()
        except BaseException as exc:  # the commit failed: none of the batch was stored
            return [_Outcome(job, error=exc) for job in jobs]
        return outcomes

    @staticmethod
    def _run_one(db: Session, job: _Job[Any], work: Callable[[Session], Any]) -> _Outcome:
        mark = staged_count(db)
        try:
            with db.begin_nested():
                return _Outcome(job, value=work(db))
        except Exception as exc:
            drop_staged_after(db, mark)
            if job.on_error is not None:
                job.on_error(db, exc)
            return _Outcome(job, error=exc)

    def _run_bulk(
        self, db: Session, write: BulkWrite[Any, Any], members: list[_Job[Any]]
    ) -> list[_Outcome]:
        mark = staged_count(db)
        try:
            with db.begin_nested():
                results = write(db, [job.item for job in members])
        except Exception as exc:
            drop_staged_after(db, mark)
            if len(members) == 1:
                return [_Outcome(members[0], error=exc)]
            return [out for job in members for out in self._run_bulk(db, write, [job])]
        return [
            _Outcome(job, error=result) if isinstance(result, Exception) else _Outcome(job, result)
            for job, result in zip(members, results, strict=True)
        ]

    @staticmethod
    def _deliver(outcomes: list[_Outcome]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome.job.loop, []).append(outcome)
        for loop, mine in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop closed: nobody waits
                loop.call_soon_threadsafe(_settle, mine)


def _settle(outcomes: list[_Outcome]) -> None:
    for outcome in outcomes:
        future = outcome.job.future
        if future.done():  # the caller gave up waiting
            continue
        if outcome.error is not None:
            future.set_exception(outcome.error)
        else:
            future.set_result(outcome.value)
