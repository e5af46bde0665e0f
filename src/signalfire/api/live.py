"""Live updates over WebSocket: a snapshot, then numbered deltas, resumable.

The hub takes committed events from the bus, numbers them, keeps the most recent in a
ring buffer and fans each out to the clients allowed to see it (their agency, or one it
was shared with). A client that reconnects with ``?since=SEQ&epoch=E`` gets exactly the
deltas after ``SEQ``, so nothing is lost or repeated; when the buffer no longer reaches
back that far, or the server restarted (new epoch), it gets a fresh snapshot instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from signalfire.alerts import service as alerts
from signalfire.alerts.events import AlertChanged
from signalfire.api.authentication import authenticate
from signalfire.api.permissions import requires_on_socket
from signalfire.api.session import get_runtime, unit_of_work
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm
from signalfire.core.errors import Unauthorized
from signalfire.core.events import Event, EventBus, SubscriptionOverflow
from signalfire.dispatch.events import AssignmentEnded, UnitAssigned
from signalfire.incidents import service as incidents
from signalfire.incidents.events import IncidentChanged
from signalfire.incidents.schemas import IncidentRead
from signalfire.units import service as units
from signalfire.units.events import UnitChanged, UnitsMoved
from signalfire.units.schemas import UnitRead

log = logging.getLogger("signalfire.live")

#: The events the stream carries; each delta is named by its event's ``topic``.
LIVE_EVENTS: tuple[type[Event], ...] = (
    IncidentChanged,
    UnitChanged,
    UnitsMoved,
    UnitAssigned,
    AssignmentEnded,
    AlertChanged,
)
CLOSE_TOO_SLOW = 4008
CLOSE_SIGNED_OUT = 4401
RECHECK_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Delta:
    """One numbered change as sent to clients."""

    seq: int
    topic: str
    agencies: frozenset[int]  # who may see it; empty = everyone signed in
    data: dict[str, Any]

    def message(self) -> dict[str, Any]:
        return {"type": "delta", "seq": self.seq, "topic": self.topic, "data": self.data}


@dataclass(eq=False)
class Client:
    """One connected viewer."""

    agency_id: int | None
    #: The client has every delta up to this one (it resumed from another replica that
    #: may have been ahead of this one).
    after: int = -1
    queue: asyncio.Queue[Delta] = field(default_factory=lambda: asyncio.Queue(20_000))
    overflowed: bool = False

    def sees(self, delta: Delta) -> bool:
        if delta.seq <= self.after:
            return False
        return self.agency_id is None or not delta.agencies or self.agency_id in delta.agencies


def _deltas(event: Event) -> Iterator[tuple[str, frozenset[int], dict[str, Any]]]:
    """Split an event into what each audience may see (positions per unit)."""
    body = event.payload()
    if isinstance(event, UnitsMoved):
        for position in body["positions"]:
            agencies = frozenset([position["agency_id"], *position["shared_with"]])
            yield event.topic, agencies, position
        return
    agencies = frozenset([a for a in [event.agency_id, *event.audience] if a is not None])
    yield event.topic, agencies, body


#: Deltas one event may make (positions of that many units); a delta's number is its
#: event's stream position times this, plus its index, when the bus numbers events.
DELTAS_PER_EVENT = 2**16


class LiveHub:
    """Numbers committed events and fans them out to WebSocket clients.

    On the in-process bus the hub counts deltas itself, so its numbers (and its epoch)
    die with the process. On NATS JetStream a delta's number comes from its event's
    position in the stream, the same on every replica: a client may resume on any of
    them with the ``since`` it had.
    """

    def __init__(self, bus: EventBus, *, buffer_size: int = 20_000) -> None:
        self.bus = bus
        # a hub that numbers deltas itself gets an epoch of its own
        self._base_epoch = bus.epoch if bus.first_seq is not None else uuid.uuid4().hex[:12]
        self._restarts = 0
        self.epoch = self._epoch()
        #: The newest delta number the hub has handed out (or knows it never saw).
        self.seq = 0 if bus.first_seq is None else bus.first_seq * DELTAS_PER_EVENT - 1
        #: Resuming needs ``since`` at least this: deltas up to it are not buffered.
        self._floor = self.seq
        self._buffer_size = buffer_size
        self._buffer: deque[Delta] = deque()
        self._clients: set[Client] = set()

    def _epoch(self) -> str:
        base = self._base_epoch
        return base if self._restarts == 0 else f"{base}.{self._restarts}"

    async def run(self) -> None:
        """Consume the bus until cancelled. If the hub itself falls behind, it starts a
        new epoch: every client is told to reconnect and gets a fresh snapshot."""
        while True:
            subscription = self.bus.subscribe(*LIVE_EVENTS, maxsize=100_000)
            try:
                async for event in subscription:
                    self.publish(event)
            except SubscriptionOverflow:
                log.error("live hub fell behind the bus; starting a new epoch")
                self.restart()
            finally:
                subscription.close()

    def restart(self) -> None:
        """Forget the buffer and make every client reconnect (new epoch)."""
        self._restarts += 1
        self.epoch = self._epoch()
        self._buffer.clear()
        self._floor = self.seq
        for client in list(self._clients):
            client.overflowed = True
            with contextlib.suppress(asyncio.QueueFull):
                client.queue.put_nowait(Delta(self.seq, "hub.restart", frozenset(), {}))

    def _number(self, event: Event, index: int) -> int:
        if event.bus_seq is None:
            return self.seq + 1
        return event.bus_seq * DELTAS_PER_EVENT + min(index, DELTAS_PER_EVENT - 1)

    def publish(self, event: Event) -> None:
        """Number ``event``'s deltas and queue them for every client that may see them."""
        for index, (topic, agencies, data) in enumerate(_deltas(event)):
            seq = self._number(event, index)
            if seq <= self.seq:  # delivered again (a repeat): never send it twice
                continue
            self.seq = seq
            delta = Delta(seq, topic, agencies, data)
            if len(self._buffer) == self._buffer_size:
                self._floor = self._buffer.popleft().seq
            self._buffer.append(delta)
            for client in list(self._clients):
                if client.sees(delta):
                    try:
                        client.queue.put_nowait(delta)
                    except asyncio.QueueFull:
                        client.overflowed = True

    def join(self, agency_id: int | None, since: int | None) -> tuple[Client, list[Delta] | None]:
        """Register a client; with ``since``, the buffered deltas after it (``None`` when
        the buffer no longer reaches back that far and a snapshot is needed)."""
        client = Client(agency_id)
        backlog: list[Delta] | None = None
        # on a numbering bus another replica may be ahead of this one: its numbers are ours
        numbered = self.bus.first_seq is not None
        if since is not None and self._floor <= since and (numbered or since <= self.seq):
            client.after = since
            backlog = [d for d in self._buffer if client.sees(d)]
        self._clients.add(client)
        return client, backlog

    def leave(self, client: Client) -> None:
        self._clients.discard(client)


router = APIRouter(tags=["live"])


def _snapshot(websocket: WebSocket, actor: Actor) -> dict[str, Any]:
    with get_runtime(websocket).reader() as db:
        return {
            "incidents": [
                IncidentRead.model_validate(i).model_dump(mode="json")
                for i in incidents.list_incidents(db=db, actor=actor)
            ],
            "units": [
                UnitRead.model_validate(u).model_dump(mode="json")
                for u in units.list_units(db=db, actor=actor)
            ],
            "alerts": [  # the inbox: those nobody has promoted or dismissed yet
                alerts.read(a).model_dump(mode="json")
                for a in alerts.list_alerts(db=db, actor=actor)
            ],
        }


@router.websocket("/api/live")
async def live(
    websocket: WebSocket,
    actor: Annotated[Actor, requires_on_socket(Perm.LIVE)],
    since: Annotated[int | None, Query(ge=0, description="Last seq the client has.")] = None,
    epoch: Annotated[str | None, Query(description="Epoch the seq belongs to.")] = None,
) -> None:
    """Stream incidents, units, positions and alerts the caller may see.

    Messages: ``{"type": "snapshot", "epoch", "seq", "incidents", "units", "alerts"}`` or
    ``{"type": "resume", "epoch", "since"}``, then ``{"type": "delta", "seq", "topic",
    "data"}`` in order. Close code 4008 means the client fell behind: reconnect with
    ``since``.
    """
    hub: LiveHub = websocket.app.state.live_hub
    await websocket.accept()
    resume_from = since if epoch == hub.epoch else None
    client, backlog = hub.join(actor.agency_id, resume_from)
    try:
        if backlog is None:
            start = hub.seq
            snapshot = await run_in_threadpool(_snapshot, websocket, actor)
            await websocket.send_json(
                {"type": "snapshot", "epoch": hub.epoch, "seq": start, **snapshot}
            )
        else:
            await websocket.send_json({"type": "resume", "epoch": hub.epoch, "since": since})
            for delta in backlog:
                await websocket.send_json(delta.message())
        await _pump(websocket, client)
    except WebSocketDisconnect:
        pass
    finally:
        hub.leave(client)


async def _pump(websocket: WebSocket, client: Client) -> None:
    """Send the client's deltas until it disconnects or falls behind."""

    async def write() -> None:
        while True:
            delta = await client.queue.get()
            if client.overflowed:
                await websocket.close(CLOSE_TOO_SLOW, "too slow; reconnect with since")
                return
            await websocket.send_json(delta.message())

    tasks = {
        asyncio.create_task(write()),
        asyncio.create_task(_drain_incoming(websocket)),
        asyncio.create_task(_recheck(websocket)),
    }
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await task
    for task in done:
        task.result()


async def _recheck(websocket: WebSocket) -> None:
    """Close the stream once its session or token is no longer valid (signed out,
    expired, revoked, account disabled): checked every ``RECHECK_SECONDS``."""

    def still_valid() -> bool:
        try:
            with unit_of_work(websocket) as db:
                authenticate(websocket, db)
        except Unauthorized:
            return False
        return True

    while True:
        await asyncio.sleep(RECHECK_SECONDS)
        if not await run_in_threadpool(still_valid):
            await websocket.close(CLOSE_SIGNED_OUT, "signed out; sign in again")
            return


async def _drain_incoming(websocket: WebSocket) -> None:
    """Read (and ignore) client messages until it disconnects."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()
