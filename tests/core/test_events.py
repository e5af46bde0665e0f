"""The bus hears about a change only after it is committed."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest

from signalfire.core.db import transaction
from signalfire.core.events import (
    Event,
    EventBus,
    InProcessBus,
    Subscription,
    SubscriptionOverflow,
    emit,
)
from signalfire.core.runtime import Runtime


class Ping(Event):
    topic: ClassVar[str] = "test.ping"
    n: int


class Pong(Event):
    topic: ClassVar[str] = "test.pong"


def test_subscribers_get_only_their_event_classes() -> None:
    async def scenario() -> list[str]:
        bus = InProcessBus()
        pings, everything = bus.subscribe(Ping), bus.subscribe()
        bus.publish(Pong())
        bus.publish(Ping(n=1))
        got = [(await pings.get(1)).topic]
        got += [(await everything.get(1)).topic, (await everything.get(1)).topic]
        pings.close()
        bus.publish(Ping(n=2))
        await asyncio.sleep(0)
        return got

    assert asyncio.run(scenario()) == ["test.ping", "test.pong", "test.ping"]


class LoudPing(Ping):
    """A subclass: subscribers of ``Ping`` hear it too."""

    topic: ClassVar[str] = "test.loud_ping"


def test_a_subscription_through_the_protocol_hears_subclasses_and_stops_when_closed() -> None:
    async def scenario() -> list[str]:
        bus: EventBus = InProcessBus()
        pings: Subscription = bus.subscribe(Ping)
        bus.publish(LoudPing(n=1))
        bus.publish(Pong())
        bus.publish(Ping(n=2))
        got = [(await pings.get(1)).topic, (await pings.get(1)).topic]
        pings.close()
        bus.publish(Ping(n=3))
        await asyncio.sleep(0)
        with pytest.raises(TimeoutError):
            await pings.get(0.05)
        return got

    assert asyncio.run(scenario()) == ["test.loud_ping", "test.ping"]


def test_a_slow_subscriber_is_told_it_lost_events() -> None:
    async def scenario() -> None:
        bus = InProcessBus()
        slow = bus.subscribe(maxsize=2)
        for n in range(3):
            bus.publish(Ping(n=n))
        await asyncio.sleep(0)
        with pytest.raises(SubscriptionOverflow):
            await slow.get(1)

    asyncio.run(scenario())


def test_committed_events_reach_the_bus_and_rolled_back_ones_do_not(runtime: Runtime) -> None:
    async def scenario() -> list[int]:
        subscription = runtime.bus.subscribe(Ping)

        def work() -> None:
            try:
                with transaction(runtime.sessions) as db:
                    emit(db, Ping(n=1))
                    raise RuntimeError("abandon")
            except RuntimeError:
                pass
            with transaction(runtime.sessions) as db:
                emit(db, Ping(n=2))

        await asyncio.to_thread(work)
        first = await subscription.get(2)
        with pytest.raises(TimeoutError):
            await subscription.get(0.2)
        return [first.n] if isinstance(first, Ping) else []

    assert asyncio.run(scenario()) == [2]
