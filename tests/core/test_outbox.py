"""The outbox and the NATS JetStream bus, with a real ``nats-server`` (issue 17, item 1).

Every event is stored in the transaction of its change; a relay publishes it, waits for
JetStream's acknowledgement and only then deletes it. Events a dead process left in the
outbox are published by the next relay; one published twice reaches subscribers once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from signalfire.accounts import service as accounts
from signalfire.accounts.events import AgencyCreated
from signalfire.accounts.schemas import AgencyCreate
from signalfire.core import outbox
from signalfire.core.auth.actor import Actor
from signalfire.core.db import transaction
from signalfire.core.events import Event
from signalfire.core.nats_bus import BusUnavailable, NatsBus
from signalfire.core.runtime import Runtime
from tests.conftest import World
from tests.demo_process import free_port

QUIET_S = 0.5  # how long "nothing arrives" is watched for


@pytest.fixture
def observer(nats_url: str) -> Iterator[NatsBus]:
    """A subscriber's connection of its own, as another process would have."""
    bus = NatsBus(nats_url)
    yield bus
    bus.close()


def received(bus: NatsBus, action: Callable[[], object], *, expect: int) -> list[Event]:
    """Subscribe to ``bus``, run ``action`` in a thread, and return what arrives: ``expect``
    events, then a quiet moment in which nothing more may come."""

    async def watch() -> list[Event]:
        subscription = bus.subscribe()
        try:
            await asyncio.to_thread(action)
            events = [await subscription.get(20) for _ in range(expect)]
            try:
                extra = await subscription.get(QUIET_S)
            except TimeoutError:
                return events
            raise AssertionError(f"one event too many: {extra!r}")
        finally:
            subscription.close()

    return asyncio.run(watch())


def stored(runtime: Runtime) -> list[outbox.OutboxEntry]:
    with runtime.sessions() as db:
        return list(db.scalars(select(outbox.OutboxEntry).order_by(outbox.OutboxEntry.seq)))


def test_an_event_waits_in_the_outbox_until_a_relay_publishes_it(
    replicas: Callable[[str], Runtime], observer: NatsBus
) -> None:
    first = replicas("first")
    assert first.relay is not None
    first.relay.stop()  # this process commits, then dies before its relay publishes

    assert received(observer, lambda: World(first).agency("OUT-1"), expect=0) == []
    rows = stored(first)
    assert [row.topic for row in rows] == ["agency.created"]
    assert '"code":"OUT-1"' in rows[0].body

    def fail_after_staging() -> None:
        with transaction(first.sessions) as db:
            accounts.create_agency(
                db=db,
                actor=Actor.operator(),
                data=AgencyCreate(code="OUT-2", name="rolled back", kind="fire"),
            )
            raise RuntimeError("the change fails after its event was staged")

    with pytest.raises(RuntimeError, match="after its event was staged"):
        fail_after_staging()
    assert len(stored(first)) == 1, "a rolled-back transaction stores no event"

    restarted: list[Runtime] = []
    events = received(observer, lambda: restarted.append(replicas("restarted")), expect=1)
    assert [str(event.event_id) for event in events] == [rows[0].event_id]
    assert isinstance(events[0], AgencyCreated)
    assert events[0].model_dump()["code"] == "OUT-1"
    assert stored(restarted[0]) == []


def test_an_event_published_twice_reaches_subscribers_once(
    replicas: Callable[[str], Runtime], observer: NatsBus
) -> None:
    runtime = replicas("only")
    assert runtime.relay is not None
    runtime.relay.stop()
    World(runtime).agency("TWICE")
    rows = [outbox.Outgoing(r.event_id, r.topic, r.body.encode()) for r in stored(runtime)]
    assert len(rows) == 1
    bus = runtime.bus
    assert isinstance(bus, NatsBus)

    def publish_then_die_then_relay_again() -> None:
        bus.publish_stored(rows)  # published; the process died before deleting the row
        assert runtime.relay is not None
        assert runtime.relay.relay_once() == 1  # the next relay publishes it again

    events = received(observer, publish_then_die_then_relay_again, expect=1)
    assert [str(event.event_id) for event in events] == [rows[0].event_id]
    assert stored(runtime) == []


def test_a_write_on_one_replica_reaches_subscribers_of_another(
    replicas: Callable[[str], Runtime],
) -> None:
    a, b = replicas("a"), replicas("b")
    assert isinstance(b.bus, NatsBus)
    events = received(b.bus, lambda: World(a).agency("ACROSS"), expect=1)
    (event,) = events
    assert isinstance(event, AgencyCreated)
    assert event.model_dump()["code"] == "ACROSS"
    assert outbox.pending(a.sessions) == 0


def test_an_unreachable_server_is_a_clear_error() -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    with pytest.raises(BusUnavailable, match="cannot use the NATS stream SIGNALFIRE at nats://"):
        NatsBus(url, timeout=2)
