"""A three-node NATS JetStream cluster from ``deploy/nats/cluster-node.conf``, with the
stream on three replicas (issue 17, item 6): ``kill -9`` of one node during event traffic
loses no event whose publication was acknowledged."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import nats
from nats.errors import NoRespondersError
from nats.js.errors import ServiceUnavailableError

from signalfire.accounts.events import AgencyCreated
from signalfire.core.nats_bus import SUBJECT, BusUnavailable, NatsBus
from signalfire.core.outbox import Outgoing
from tests.ha.processes import nats_cluster

BATCHES = 60
PER_BATCH = 20
KILL_AFTER = 20  # batches


def connect(url: str) -> NatsBus:
    """The bus, once the new cluster has elected its JetStream leader."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return NatsBus(url, replicas=3, timeout=5)
        except BusUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def batch(number: int) -> list[Outgoing]:
    events = [
        AgencyCreated(code=f"A{number}-{i}", name="cluster test", kind="fire")
        for i in range(PER_BATCH)
    ]
    return [Outgoing(str(e.event_id), e.topic, e.model_dump_json().encode()) for e in events]


async def stored_ids(url: str, stream: str) -> list[str]:
    """Every message id the stream holds, read back through the surviving nodes (once
    they have elected a new JetStream leader, which may take seconds after a kill)."""
    client = await nats.connect(url.split(","))
    try:
        js = client.jetstream(timeout=10)
        deadline = time.monotonic() + 60
        while True:
            try:
                info = await js.stream_info(stream)
                subscription = await js.subscribe(
                    f"{SUBJECT}.>", stream=stream, ordered_consumer=True
                )
                break
            except (TimeoutError, NoRespondersError, ServiceUnavailableError):  # no leader yet
                assert time.monotonic() < deadline, "the survivors never answered"
                await asyncio.sleep(0.5)
        ids: list[str] = []
        while len(ids) < info.state.messages:
            message = await subscription.next_msg(timeout=10)
            ids.append((message.headers or {}).get("Nats-Msg-Id", ""))
        await subscription.unsubscribe()
        return ids
    finally:
        await client.close()


def test_killing_one_node_of_three_loses_no_acknowledged_event(tmp_path: Path) -> None:
    with nats_cluster(tmp_path) as (nodes, url):
        bus = connect(url)
        acknowledged: list[str] = []
        retried = 0
        try:
            for number in range(BATCHES):
                if number == KILL_AFTER:
                    nodes[0].kill()  # the node the client is most likely connected to
                outgoing = batch(number)
                deadline = time.monotonic() + 60
                while True:  # as the outbox relay does: publish again until acknowledged
                    try:
                        bus.publish_stored(outgoing)
                        break
                    except Exception:
                        retried += 1
                        assert time.monotonic() < deadline, "the cluster never acknowledged"
                acknowledged += [item.event_id for item in outgoing]
        finally:
            bus.close()
        survivors = ",".join(url.split(",")[1:])
        stored = asyncio.run(stored_ids(survivors, bus.stream))
    missing = set(acknowledged) - set(stored)
    assert not missing, f"{len(missing)} acknowledged events lost (after {retried} retries)"
    assert len(stored) == len(set(stored)) == BATCHES * PER_BATCH, "no event stored twice"
