"""Write, read and verify the audit trail."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.audit import chain, witness
from signalfire.core.audit.models import HASHED_COLUMNS, AuditEntry, AuditHead
from signalfire.core.errors import Conflict
from signalfire.core.events import Event

HEAD_ID = 1


def content_of(entry: AuditEntry) -> dict[str, Any]:
    """The hashed fields of ``entry``."""
    return {name: getattr(entry, name) for name in HASHED_COLUMNS}


# Built once: every audited transaction runs them.
_LOCK_HEAD = (
    select(AuditHead.seq, AuditHead.entry_hash).where(AuditHead.id == HEAD_ID).with_for_update()
)
_ADD_ENTRIES = insert(AuditEntry)
_MOVE_HEAD = update(AuditHead).where(AuditHead.id == HEAD_ID)


def append(db: Session, events: Sequence[Event]) -> None:
    """Chain one entry per event onto the log, in ``db``'s transaction.

    Used as a transaction listener, so it runs just before the commit of the change
    the events describe. The head row is locked once for all of them; the new head is
    staged for the witness file, written once the commit succeeded.
    """
    events = [event for event in events if event.audited]
    if not events:
        return
    connection = db.connection()
    head = connection.execute(_LOCK_HEAD).first()
    if head is None:
        raise Conflict("the audit chain has no head row; run `signalfire db upgrade`")
    seq, last_hash = head
    recorded_at = clock.now()
    rows = []
    for event in events:
        actor = event.actor
        seq += 1
        content = {
            "seq": seq,
            "recorded_at": recorded_at,
            "occurred_at": event.occurred_at,
            "event_id": str(event.event_id),
            "action": event.topic,
            "outcome": event.outcome,
            "actor_user_id": actor.user_id if actor else None,
            "actor_username": actor.username if actor else None,
            "actor_agency_id": actor.agency_id if actor else None,
            "agency_id": event.agency_id,
            "record_type": event.record_type,
            "record_id": event.record_id,
            "purpose": event.purpose,
            "case_number": event.case_number,
            "details": chain.canonical_bytes(event.payload()).decode(),
            "prev_hash": last_hash,
        }
        last_hash = chain.content_hash(content)
        rows.append(content | {"entry_hash": last_hash})
    connection.execute(_ADD_ENTRIES, rows)
    connection.execute(_MOVE_HEAD, {"seq": seq, "entry_hash": last_hash})
    witness.stage(db, witness.Head(seq, last_hash))


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What to look for in the trail; ``None`` matches anything."""

    agency_id: int | None = None
    actor_user_id: int | None = None
    action: str | None = None
    outcome: str | None = None
    record_type: str | None = None
    record_id: str | None = None
    case_number: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Select[tuple[AuditEntry]]) -> Select[tuple[AuditEntry]]:
        """Narrow ``query`` by every field that is set."""
        if self.agency_id is not None:
            query = query.where(
                or_(
                    AuditEntry.agency_id == self.agency_id,
                    AuditEntry.actor_agency_id == self.agency_id,
                )
            )
        exact = {
            AuditEntry.actor_user_id: self.actor_user_id,
            AuditEntry.action: self.action,
            AuditEntry.outcome: self.outcome,
            AuditEntry.record_type: self.record_type,
            AuditEntry.record_id: self.record_id,
            AuditEntry.case_number: self.case_number,
        }
        for column, value in exact.items():
            if value is not None:
                query = query.where(column == value)
        if self.since is not None:
            query = query.where(AuditEntry.recorded_at >= self.since)
        if self.until is not None:
            query = query.where(AuditEntry.recorded_at < self.until)
        return query


def search(
    db: Session, *, where: AuditFilter, limit: int = 100, before_seq: int | None = None
) -> list[AuditEntry]:
    """Entries matching ``where``, newest first, paged by ``before_seq``."""
    query = where.apply(select(AuditEntry))
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    return list(db.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit)))


def details_of(entry: AuditEntry) -> dict[str, Any]:
    """The event fields kept in ``entry``."""
    parsed: dict[str, Any] = json.loads(entry.details)
    return parsed


def count(db: Session) -> int:
    """How many entries the log holds."""
    return db.scalar(select(func.count()).select_from(AuditEntry)) or 0


def head(db: Session) -> tuple[int, str]:
    """(seq, hash) of the last entry, as the head row records it."""
    row = db.get(AuditHead, HEAD_ID)
    return (row.seq, row.entry_hash) if row else (0, chain.GENESIS_HASH)


def verify(db: Session, *, on_progress: Callable[[int], None] | None = None) -> chain.Report:
    """Walk the whole chain and report the first altered, removed or reordered entry."""

    def links() -> Iterator[chain.Link]:
        rows = db.execute(
            select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=2000)
        ).scalars()
        for done, entry in enumerate(rows, 1):
            if on_progress and done % 2000 == 0:
                on_progress(done)
            yield chain.Link(entry.seq, content_of(entry), entry.prev_hash, entry.entry_hash)

    def seq_of_hash(digest: str) -> int | None:
        return db.scalar(select(AuditEntry.seq).where(AuditEntry.entry_hash == digest))

    return chain.verify(links(), head=head(db), seq_of_hash=seq_of_hash)
