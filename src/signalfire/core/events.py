"""Typed events and the bus that carries them.

A service never publishes directly: it calls :func:`emit`, which stages the event in
its database transaction. Transaction listeners (the audit trail) see staged events
just before commit, so an audit entry lands in the same transaction as the change it
records; the bus receives them only after the commit succeeded, so no subscriber ever
hears of a change that was rolled back.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from signalfire.core import clock

_STAGED = "signalfire.staged_events"

Outcome = Literal["allowed", "denied"]


class ActorRef(BaseModel):
    """Who caused an event, as the audit trail records it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: int | None
    username: str
    agency_id: int | None


class Event(BaseModel):
    """Base of every event. Subclasses set ``topic`` (the event's name in the audit trail
    and on the live stream) and add their own fields, typed (pydantic models, no bare
    dicts); subscribers choose events by class."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: ClassVar[str] = "event"
    #: Whether the audit trail records it (high-rate telemetry such as positions is not).
    audited: ClassVar[bool] = True

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime = Field(default_factory=clock.now)
    actor: ActorRef | None = None
    agency_id: int | None = Field(None, description="Agency whose data the event concerns.")
    audience: list[int] = Field(
        default_factory=list, description="Other agencies that may see it (mutual aid)."
    )
    record_type: str | None = None
    record_id: str | None = None
    outcome: Outcome = "allowed"
    purpose: str | None = None
    case_number: str | None = None

    #: Where the bus placed the event in its stream (JetStream's stream sequence), the
    #: same on every replica; ``None`` on the in-process bus.
    _bus_seq: int | None = PrivateAttr(None)

    @property
    def bus_seq(self) -> int | None:
        """The event's position in the bus's stream, when the bus keeps one."""
        return self._bus_seq

    def placed_at(self, seq: int) -> None:
        """Record where the bus placed the event (only a bus calls this)."""
        self._bus_seq = seq

    def payload(self) -> dict[str, Any]:
        """The fields a subclass adds, JSON-ready."""
        base = set(Event.model_fields)
        return self.model_dump(mode="json", exclude=base)


TransactionListener = Callable[[Session, Sequence[Event]], None]


class SubscriptionOverflow(RuntimeError):
    """A subscriber fell so far behind that events were dropped."""


class Subscription(Protocol):
    """What a subscriber holds: the events it asked for, oldest first; ``close()`` when done.

    Iterating (``async for``) or :meth:`get` raises :class:`SubscriptionOverflow` once
    events were dropped because the subscriber fell behind.
    """

    def __aiter__(self) -> Subscription:
        """The subscription itself, as an async iterator of events."""

    async def __anext__(self) -> Event:
        """The next event, waiting as long as it takes."""

    async def get(self, timeout: float) -> Event:
        """The next event, waiting at most ``timeout`` seconds (``TimeoutError`` after)."""

    def close(self) -> None:
        """Stop receiving events."""


class EventBus(Protocol):
    """Publish/subscribe, in one process or across replicas (NATS JetStream)."""

    #: Names the bus's numbering of events: equal on every replica that reads the same
    #: stream, new for each in-process bus (its numbering dies with the process).
    epoch: str
    #: The first stream position this process receives, when the bus numbers events
    #: (``None``: the in-process bus, whose subscribers number events themselves).
    first_seq: int | None

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to subscribers; thread-safe, never blocks."""

    def subscribe(self, *kinds: type[Event], maxsize: int = 1000) -> Subscription:
        """Receive events of the classes ``kinds`` (all when none given), from now on."""


class InProcessSubscription:
    """An async iterator of events for one subscriber of :class:`InProcessBus`."""

    def __init__(self, bus: InProcessBus, kinds: tuple[type[Event], ...], maxsize: int) -> None:
        self._bus = bus
        self.kinds = kinds
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self._loop = asyncio.get_running_loop()
        self._lock = threading.Lock()
        self._inbox: list[Event] = []
        self._wake_pending = False
        self.overflowed = False

    def wants(self, event: Event) -> bool:
        """Whether this subscription asked for the event's class (or one it derives from)."""
        return not self.kinds or isinstance(event, self.kinds)

    def offer(self, event: Event) -> None:
        """Queue ``event`` from any thread.

        Events gather in a buffer and one wake-up of the loop moves them all, so a
        burst costs one cross-thread call rather than one per event.
        """
        with self._lock:
            self._inbox.append(event)
            if self._wake_pending:
                return
            self._wake_pending = True
        try:
            self._loop.call_soon_threadsafe(self._move_inbox)
        except RuntimeError:  # its loop is closed: the subscriber is gone without closing
            self.close()

    def _move_inbox(self) -> None:
        with self._lock:
            batch, self._inbox = self._inbox, []
            self._wake_pending = False
        for event in batch:
            try:
                self._queue.put_nowait(event)
            except asyncio.QueueFull:
                self.overflowed = True

    def close(self) -> None:
        """Stop receiving events."""
        self._bus.unsubscribe(self)

    def __aiter__(self) -> InProcessSubscription:
        return self

    async def __anext__(self) -> Event:
        if self.overflowed:
            raise SubscriptionOverflow("subscriber too slow; events were dropped")
        return await self._queue.get()

    async def get(self, timeout: float) -> Event:
        """Next event, waiting at most ``timeout`` seconds."""
        return await asyncio.wait_for(self.__anext__(), timeout)


class InProcessBus:
    """The embedded bus: asyncio queues in this process."""

    def __init__(self) -> None:
        self.epoch = uuid4().hex[:12]
        self.first_seq: int | None = None
        self._lock = threading.Lock()
        self._subscriptions: list[InProcessSubscription] = []

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to every matching subscription."""
        with self._lock:
            targets = [s for s in self._subscriptions if s.wants(event)]
        for subscription in targets:
            subscription.offer(event)

    def subscribe(self, *kinds: type[Event], maxsize: int = 1000) -> InProcessSubscription:
        """Subscribe to events of ``kinds`` (all when none given), from inside a running
        event loop."""
        subscription = InProcessSubscription(self, kinds, maxsize)
        with self._lock:
            self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: InProcessSubscription) -> None:
        """Forget ``subscription``; unknown ones are ignored."""
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)


def emit(db: Session, event: Event) -> None:
    """Stage ``event`` in ``db``'s transaction (audited at commit, published after)."""
    db.info.setdefault(_STAGED, []).append(event)


def staged(db: Session) -> list[Event]:
    """Events staged in ``db``'s current transaction, oldest first."""
    return list(db.info.get(_STAGED, []))


def staged_count(db: Session) -> int:
    """How many events ``db``'s transaction has staged so far."""
    return len(db.info.get(_STAGED, ()))


def drop_staged_after(db: Session, count: int) -> None:
    """Forget the events staged after the first ``count`` (their savepoint rolled back)."""
    pending = db.info.get(_STAGED)
    if pending is not None:
        del pending[count:]


def bind_transactions(
    factory: sessionmaker[Session],
    *,
    bus: EventBus,
    listeners: Iterable[TransactionListener] = (),
    committed: Callable[[Sequence[Event]], None] | None = None,
) -> None:
    """Hook staged events of ``factory``'s sessions to ``listeners`` and ``bus``.

    ``committed`` replaces publishing to ``bus`` after a commit (the outbox relay's
    wake-up, when a listener stored the events for it instead).
    """
    chosen = list(listeners)

    # Savepoints (``begin_nested``) fire these events too; only the outermost
    # transaction decides what is audited, published or forgotten.
    def before_commit(session: Session) -> None:
        pending = session.info.get(_STAGED)
        if pending and not session.in_nested_transaction():
            for listener in chosen:
                listener(session, list(pending))

    def after_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return
        pending = session.info.pop(_STAGED, None)
        if not pending:
            return
        if committed is not None:
            committed(pending)
            return
        for item in pending:
            bus.publish(item)

    def after_rollback(session: Session, ended: SessionTransaction) -> None:
        if not ended.nested:
            session.info.pop(_STAGED, None)

    sa_event.listen(factory, "before_commit", before_commit)
    sa_event.listen(factory, "after_commit", after_commit)
    sa_event.listen(factory, "after_soft_rollback", after_rollback)


def event_class(topic: str) -> type[Event]:
    """The event class named ``topic`` (to rebuild an event that crossed a process).

    Raises ``KeyError`` for a topic no loaded class has.
    """
    known = _BY_TOPIC.get(topic)
    if known is not None:
        return known
    pending: list[type[Event]] = [Event]
    while pending:
        cls = pending.pop()
        _BY_TOPIC.setdefault(cls.topic, cls)
        pending.extend(cls.__subclasses__())
    return _BY_TOPIC[topic]


_BY_TOPIC: dict[str, type[Event]] = {}


class AccessDenied(Event):
    """Someone tried something their roles or agency do not allow."""

    topic: ClassVar[str] = "access.denied"

    permission: str | None = None
    method: str | None = None
    path: str | None = None
    reason: str
