"""The event bus across processes: NATS JetStream.

Selected by ``bus.url`` (``SIGNALFIRE_BUS__URL=nats://...``). Events reach the stream only
through the outbox relay (:mod:`signalfire.core.outbox`), which waits for JetStream's
acknowledgement of each message before it deletes the stored row; every replica reads
the stream back with one ordered consumer and fans the events out to its own
subscribers (the live hub), so a console on replica B sees writes made on replica A.

The stream keeps messages on file. The server must write them to disk before it
acknowledges them (``jetstream { sync_interval: always }`` in its configuration, as in
``deploy/nats/``): with NATS's default of a sync every two minutes an acknowledged
message can be lost when the machine dies (Jepsen's analysis of NATS 2.12.1, 2025).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError
from pydantic import ValidationError

from signalfire.core.events import Event, InProcessBus, InProcessSubscription, event_class
from signalfire.core.outbox import Outgoing

log = logging.getLogger(__name__)

#: Subjects are ``signalfire.events.<topic>``; the stream holds them all.
SUBJECT = "signalfire.events"
#: How long JetStream remembers a message id to drop a repeat (a relay that died after
#: publishing but before deleting its rows, or two replicas relaying the same rows).
DEDUPLICATION_WINDOW_S = 600.0
#: How long the stream keeps events (a replica resuming reads back at most this far).
MAX_AGE_S = 24 * 3600.0
#: How long a batch waits for its acknowledgements (milliseconds when all is well); on a
#: timeout the relay publishes the batch again, to the node the client fails over to.
ACK_TIMEOUT_S = 2.0
T = TypeVar("T")


class BusUnavailable(RuntimeError):
    """The NATS server could not be reached or refused the stream."""


class NatsBus:
    """:class:`~signalfire.core.events.EventBus` over a JetStream stream.

    The client runs on an event loop in a thread of its own, so publishing works from
    any thread (the relay's) and subscribers receive on their own loop.
    """

    def __init__(
        self, url: str, *, stream: str = "SIGNALFIRE", replicas: int = 1, timeout: float = 10.0
    ) -> None:
        self.stream = stream
        #: Names the stream's numbering (its name and creation time): the same for every
        #: replica, new if the stream was ever made afresh.
        self.epoch = ""
        #: The first stream sequence this process receives (what came before, it never saw).
        self.first_seq: int | None = 1
        self._timeout = timeout
        self._local = InProcessBus()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="nats-bus", daemon=True)
        self._thread.start()
        self._client: Client | None = None
        self._js: JetStreamContext | None = None
        try:
            self._call(self._open(url, replicas))
        except Exception as exc:
            self.close()
            raise BusUnavailable(f"cannot use the NATS stream {stream} at {url}: {exc}") from exc

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(self._timeout)

    async def _open(self, url: str, replicas: int) -> None:
        self._client = await nats.connect(
            [server.strip() for server in url.split(",")],
            name="signalfire",
            connect_timeout=self._timeout,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
        )
        self._js = self._client.jetstream(timeout=self._timeout)
        config = StreamConfig(
            name=self.stream,
            subjects=[f"{SUBJECT}.>"],
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=DEDUPLICATION_WINDOW_S,
            max_age=MAX_AGE_S,
        )
        try:
            info = await self._js.add_stream(config)
        except BadRequestError:  # it exists with other settings: take ours
            info = await self._js.update_stream(config)
        created = info.created.isoformat() if info.created else ""
        self.epoch = hashlib.sha256(f"{self.stream} {created}".encode()).hexdigest()[:12]
        self.first_seq = info.state.last_seq + 1
        await self._js.subscribe(
            f"{SUBJECT}.>",
            ordered_consumer=True,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=self.first_seq
            ),
            cb=self._received,
        )

    async def _received(self, message: Msg) -> None:
        topic = message.subject.removeprefix(f"{SUBJECT}.")
        try:
            event = event_class(topic).model_validate_json(message.data)
        except (KeyError, ValidationError) as exc:
            log.warning("dropped an event this version cannot read (%s): %s", topic, exc)
            return
        event.placed_at(message.metadata.sequence.stream)
        self._local.publish(event)

    def publish_stored(self, batch: Sequence[Outgoing]) -> None:
        """Publish ``batch`` in order; return once JetStream acknowledged every message."""
        self._call(self._publish(batch))

    async def _publish(self, batch: Sequence[Outgoing]) -> None:
        js = self._js
        if js is None:
            raise BusUnavailable("the NATS bus is closed")
        acks = [
            await js.publish_async(
                f"{SUBJECT}.{item.topic}", item.body, headers={"Nats-Msg-Id": item.event_id}
            )
            for item in batch
        ]
        await asyncio.wait_for(asyncio.gather(*acks), ACK_TIMEOUT_S)

    def publish(self, event: Event) -> None:
        """Publish one event straight away, acknowledged (services go through the outbox)."""
        outgoing = Outgoing(str(event.event_id), event.topic, event.model_dump_json().encode())
        self.publish_stored([outgoing])

    def subscribe(self, *kinds: type[Event], maxsize: int = 1000) -> InProcessSubscription:
        """Receive events of ``kinds`` from every replica, from now on (inside a running loop)."""
        return self._local.subscribe(*kinds, maxsize=maxsize)

    def close(self) -> None:
        """Drain the connection and stop the client's thread."""
        if self._client is not None:
            client, self._client, self._js = self._client, None, None
            try:
                self._call(client.drain())
            except Exception as exc:  # closing anyway
                log.warning("NATS connection did not drain: %s", exc)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(self._timeout)
