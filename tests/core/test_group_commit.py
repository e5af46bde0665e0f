"""Group commit: items share a transaction, fail alone, and are heard of only once stored."""

from __future__ import annotations

import asyncio
import threading
from typing import ClassVar

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from signalfire.core.audit import service as audit
from signalfire.core.audit.models import AuditEntry
from signalfire.core.db import transaction
from signalfire.core.events import Event, emit, staged
from signalfire.core.group_commit import GroupCommit
from signalfire.core.runtime import Runtime


class Noted(Event):
    topic: ClassVar[str] = "test.noted"
    n: int


def _audited(runtime: Runtime, topic: str) -> list[int]:
    with transaction(runtime.reader) as db:
        rows = db.scalars(select(AuditEntry).where(AuditEntry.action == topic))
        return sorted(audit.details_of(row)["n"] for row in rows)


def _note_all(db: Session, items: list[int]) -> list[int | Exception]:
    """Stage an event per item; multiples of 3 break the whole group (as a failing
    statement would), odd items are refused (and write nothing)."""
    for n in items:
        if n % 2 == 0 or n % 3 == 0:
            emit(db, Noted(n=n))
    broken = [n for n in items if n % 3 == 0]
    if broken:
        raise RuntimeError(f"{broken[0]} breaks the statement")
    return [ValueError(f"{n} is odd") if n % 2 else n * 10 for n in items]


def test_items_go_together_and_a_breaking_one_fails_alone(runtime: Runtime) -> None:
    writer = GroupCommit(runtime.sessions)
    groups: list[int] = []

    def counted(db: Session, items: list[int]) -> list[int | Exception]:
        groups.append(len(items))
        return _note_all(db, items)

    async def scenario() -> tuple[list[int | BaseException], list[int]]:
        heard = runtime.bus.subscribe(Noted)
        outcomes: list[int | BaseException] = await asyncio.gather(
            *(writer.run(counted, n) for n in range(1, 25)), return_exceptions=True
        )
        got: list[int] = []
        while len(got) < 8:
            got.append((await heard.get(2)).n)  # type: ignore[attr-defined]
        with pytest.raises(TimeoutError):
            await heard.get(0.2)
        return outcomes, sorted(got)

    outcomes, published = asyncio.run(scenario())
    kept = [n for n in range(1, 25) if n % 2 == 0 and n % 3]
    assert [o for o in outcomes if isinstance(o, int)] == [n * 10 for n in kept]
    errors = {n: str(o) for n, o in enumerate(outcomes, 1) if isinstance(o, Exception)}
    assert errors == {
        n: f"{n} breaks the statement" if n % 3 == 0 else f"{n} is odd"
        for n in range(1, 25)
        if n not in kept
    }
    # Only the answered items' events are audited and published, once each.
    assert published == kept
    assert _audited(runtime, "test.noted") == kept
    assert max(groups) > 1  # items queued meanwhile went in together
    assert writer.batches < 24
    with transaction(runtime.reader) as db:
        assert audit.verify(db).ok


def test_a_failed_commit_fails_every_item_of_its_batch(runtime: Runtime) -> None:
    writer = GroupCommit(runtime.sessions)

    def refuse_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return
        if any(isinstance(e, Noted) and e.n == 100 for e in staged(session)):
            raise RuntimeError("disk full")

    event.listen(runtime.sessions, "before_commit", refuse_commit)
    try:

        async def scenario() -> list[int | BaseException]:
            # Usually one batch: the writer thread takes all three at once.
            outcomes = await asyncio.gather(
                writer.run(_note_all, 2),
                writer.run(_note_all, 100),
                writer.run(_note_all, 4),
                return_exceptions=True,
            )
            return list(outcomes)

        outcomes = asyncio.run(scenario())
    finally:
        event.remove(runtime.sessions, "before_commit", refuse_commit)
    assert isinstance(outcomes[1], RuntimeError)
    if writer.batches == 1:
        assert all(isinstance(o, RuntimeError) for o in outcomes)
    stored = _audited(runtime, "test.noted")
    assert 100 not in stored
    assert stored == [n for n, o in zip((2, 100, 4), outcomes, strict=True) if isinstance(o, int)]


def test_savepoints_neither_audit_nor_publish_before_the_commit(runtime: Runtime) -> None:
    async def scenario() -> list[int]:
        heard = runtime.bus.subscribe(Noted)

        def work() -> None:
            with transaction(runtime.sessions) as db:
                emit(db, Noted(n=1))
                with db.begin_nested():
                    emit(db, Noted(n=2))
                try:
                    with db.begin_nested():
                        raise ValueError("undo nothing")
                except ValueError:
                    pass
                assert [e.n for e in staged(db)] == [1, 2]  # type: ignore[attr-defined]
                assert _audited(runtime, "test.noted") == []

        await asyncio.to_thread(work)
        return [(await heard.get(2)).n for _ in range(2)]  # type: ignore[attr-defined]

    assert asyncio.run(scenario()) == [1, 2]
    assert _audited(runtime, "test.noted") == [1, 2]


def test_a_group_that_breaks_costs_the_other_groups_of_its_batch_nothing(
    runtime: Runtime,
) -> None:
    writer = GroupCommit(runtime.sessions)
    gate = threading.Event()
    quiet_calls: list[list[int]] = []

    def note_quietly(db: Session, items: list[int]) -> list[int | Exception]:
        gate.wait(5)  # the first batch waits until every item is queued behind it
        quiet_calls.append(items)
        for n in items:
            emit(db, Noted(n=n))
        return list(items)

    async def scenario() -> list[int | BaseException]:
        quiet = [asyncio.create_task(writer.run(note_quietly, 1000 + n)) for n in range(6)]
        noisy = [asyncio.create_task(writer.run(_note_all, n)) for n in range(1, 13)]
        await asyncio.sleep(0.1)
        gate.set()
        return list(await asyncio.gather(*quiet, *noisy, return_exceptions=True))

    outcomes = asyncio.run(scenario())
    assert outcomes[:6] == [1000 + n for n in range(6)]
    # The batch behind the first broke (3, 6, 9, 12), so its quiet group was written
    # twice: in the straight try, rolled back, then in its savepoint. Stored once.
    assert quiet_calls[-1] == quiet_calls[-2]
    assert {n for call in quiet_calls for n in call} == {1000 + n for n in range(6)}
    kept = [n for n in range(1, 13) if n % 2 == 0 and n % 3]
    assert _audited(runtime, "test.noted") == kept + [1000 + n for n in range(6)]
    with transaction(runtime.reader) as db:
        assert audit.verify(db).ok
