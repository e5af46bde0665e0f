"""The transactional outbox: events stored with the change they describe, relayed after.

With a bus outside the process (NATS JetStream), publishing after commit is not enough:
a process that dies between its commit and its publish would lose the event. So each
event is inserted into ``event_outbox`` in the transaction of its change (a listener of
:func:`~signalfire.core.events.bind_transactions`); a relay thread publishes the stored
rows, oldest first, and deletes them once the bus acknowledged them. A relay that starts
publishes what a dead process left behind. A row published twice (the relay died after
the publish but before the delete, or two replicas relayed it at once) carries the same
event id, which the bus uses to drop the repeat (JetStream's ``Nats-Msg-Id``).

The embedded in-process bus does not use it: its subscribers live and die with the
process that commits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import BigInteger, Integer, String, Text, delete, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from signalfire.core import clock
from signalfire.core.db import Base, UtcDateTime
from signalfire.core.events import Event

log = logging.getLogger(__name__)

#: Rows one relay pass publishes at most (then it looks again at once).
BATCH = 500
#: How often the relay looks without being woken (rows another process left).
SWEEP_SECONDS = 1.0


class OutboxEntry(Base):
    """An event committed but not yet acknowledged by the bus."""

    __tablename__ = "event_outbox"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    topic: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A stored event as the relay hands it to the bus."""

    event_id: str
    topic: str
    body: bytes


class DurableBus(Protocol):
    """A bus that acknowledges what it stored (NATS JetStream)."""

    def publish_stored(self, batch: Sequence[Outgoing]) -> None:
        """Publish ``batch`` in order and return once every message is acknowledged;
        raise if one is not (the relay tries again)."""


def stage(db: Session, events: Sequence[Event]) -> None:
    """Insert ``events`` into the outbox, in ``db``'s transaction (a transaction listener)."""
    now = clock.now()
    db.execute(
        insert(OutboxEntry),
        [
            {
                "event_id": str(event.event_id),
                "topic": event.topic,
                "body": event.model_dump_json(),
                "created_at": now,
            }
            for event in events
        ],
    )


class Relay:
    """Publishes the outbox to a :class:`DurableBus` from a thread of its own."""

    def __init__(self, sessions: sessionmaker[Session], bus: DurableBus) -> None:
        self._sessions = sessions
        self._bus = bus
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Relay from now on (first what earlier processes left behind)."""
        if self._thread is None:
            self._wake.set()
            self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Something was committed: relay it now rather than at the next sweep."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Relay what is left (for up to ``timeout`` seconds), then stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def relay_once(self) -> int:
        """Publish up to :data:`BATCH` stored events and delete them; how many."""
        with self._sessions() as db:
            rows = db.execute(
                select(OutboxEntry.seq, OutboxEntry.event_id, OutboxEntry.topic, OutboxEntry.body)
                .order_by(OutboxEntry.seq)
                .limit(BATCH)
            ).all()
        if not rows:
            return 0
        self._bus.publish_stored([Outgoing(r.event_id, r.topic, r.body.encode()) for r in rows])
        with self._sessions.begin() as db:
            db.execute(delete(OutboxEntry).where(OutboxEntry.seq.in_([r.seq for r in rows])))
        return len(rows)

    def _run(self) -> None:
        while True:
            self._wake.wait(SWEEP_SECONDS)
            self._wake.clear()
            try:
                while self.relay_once() == BATCH:
                    pass
            except Exception:  # the bus or database is away: keep the rows, try again
                log.exception("outbox relay failed; the events stay stored for the next try")
                if self._stop.wait(SWEEP_SECONDS):
                    return
                continue
            if self._stop.is_set():
                return


def pending(sessions: sessionmaker[Session]) -> int:
    """How many committed events wait for the bus."""
    with sessions() as db:
        return int(db.scalar(select(func.count()).select_from(OutboxEntry)) or 0)
