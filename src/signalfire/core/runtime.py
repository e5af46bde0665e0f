"""Wiring of one running install: settings, database, event bus, audit trail."""

from __future__ import annotations

import atexit
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from signalfire.core import outbox
from signalfire.core.audit import service as audit
from signalfire.core.audit import witness as audit_witness
from signalfire.core.config import Settings
from signalfire.core.db import make_engine, make_session_factory
from signalfire.core.events import EventBus, InProcessBus, bind_transactions
from signalfire.core.nats_bus import NatsBus
from signalfire.geo.network import RoadNetwork


@dataclass(frozen=True, slots=True)
class Runtime:
    """Everything a request, a job or a command needs to do its work."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    reader: sessionmaker[Session]  # read-only snapshots
    bus: EventBus
    roads: RoadNetwork
    witness: audit_witness.Witness | None = None  # the audit chain's head, outside the database
    relay: outbox.Relay | None = None  # publishes the outbox when the bus is NATS

    def close(self) -> None:
        """Relay what the outbox still holds and disconnect from the bus (NATS mode)."""
        if self.relay is not None:
            self.relay.stop()
        if isinstance(self.bus, NatsBus):
            self.bus.close()


def build_runtime(settings: Settings, *, keep_wal: bool = False) -> Runtime:
    """Connect to the database and hook the audit trail and bus to every transaction.

    ``keep_wal``: for a command that may run beside a server; its SQLite connections
    never delete the WAL when they close (:func:`signalfire.core.db.keep_wal_on_close`).
    """
    engine = make_engine(settings.database.url, echo=settings.database.echo, keep_wal=keep_wal)
    sessions = make_session_factory(engine)
    bus: EventBus
    relay = None
    if settings.bus.url:
        bus = nats = NatsBus(
            settings.bus.url, stream=settings.bus.stream, replicas=settings.bus.replicas
        )
        relay = outbox.Relay(sessions, nats)
        bind_transactions(
            sessions,
            bus=bus,
            listeners=[audit.append, outbox.stage],
            committed=lambda _events: relay.wake(),
        )
    else:
        bus = InProcessBus()
        bind_transactions(sessions, bus=bus, listeners=[audit.append])
    witness = audit_witness.for_settings(settings)
    if witness is not None:
        audit_witness.bind(sessions, witness)
    roads = RoadNetwork(settings.geo.extract, settings.geo.cache_dir or settings.data_dir / "cache")
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        reader=make_session_factory(engine, read_only=True),
        bus=bus,
        roads=roads,
        witness=witness,
        relay=relay,
    )
    if relay is not None:
        relay.start()
        atexit.register(runtime.close)
    return runtime
