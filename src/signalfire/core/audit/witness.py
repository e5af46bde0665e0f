"""The witness: the chain's head kept in a file outside the database.

The hash chain shows that no entry was altered, removed from the middle or moved, but a
log that lost its *end* (a deleted WAL file, an older backup restored, rows cut and the
head row rewound) is still a consistent chain, only shorter. The witness catches that:
after every commit that appended entries, the newest ``seq`` and hash go to a small
JSON file (``audit-head.json``), written atomically (temporary file, fsync, rename,
fsync of the directory) and only ever forward: a writer holding the lock file
(``audit-head.json.lock``, never the database file) leaves a higher head in place, so
several processes appending to one database keep it monotonic.

The file is written *after* the commit, so a crash in between leaves the database ahead
of its witness; that is normal. Verification therefore fails only when the database
ends *before* the witness's entry, or holds a different hash there.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from signalfire.core.audit import chain
from signalfire.core.audit.models import AuditEntry
from signalfire.core.config import Settings

FILE_NAME = "audit-head.json"
_COMMITTED_HEAD = "signalfire.audit_head"  # session.info: the head this transaction wrote

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Head:
    """A position in the chain: an entry's ``seq`` and hash."""

    seq: int
    entry_hash: str


class WitnessUnreadable(Exception):
    """The witness file exists but holds no head."""


class Witness:
    """The witness file of one database, shared by every process that appends to it."""

    def __init__(self, path: Path, *, database: str) -> None:
        self.path = path
        self.database = database  # for people reading the file; not compared
        self._lock_path = path.with_name(path.name + ".lock")
        self._guard = threading.Lock()
        self._written = 0  # highest seq this process wrote or found

    def read(self) -> Head | None:
        """The head in the file; ``None`` when there is no file yet.

        Raises
        ------
        WitnessUnreadable
            The file exists but is not a witness (damaged, or not ours).
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise WitnessUnreadable(f"cannot read it: {exc.strerror}") from exc
        try:
            data = json.loads(raw)
            seq, digest = data["seq"], data["entry_hash"]
        except (ValueError, TypeError, KeyError) as exc:
            raise WitnessUnreadable("it holds no seq and entry_hash") from exc
        if not isinstance(seq, int) or seq < 0 or not _is_hash(digest):
            raise WitnessUnreadable("its seq or entry_hash is malformed")
        return Head(seq, digest)

    def record(self, head: Head) -> bool:
        """Move the file forward to ``head``; whether it was written.

        A head at or below what the file (or this process) already holds is left out,
        so the file never goes back, whatever order concurrent commits finish in.
        """
        with self._guard:
            if head.seq <= self._written:
                return False
            with self._locked():
                try:
                    current = self.read()
                except WitnessUnreadable as exc:
                    log.warning("audit witness %s is unreadable (%s); rewriting it", self.path, exc)
                    current = None
                if current is not None and current.seq >= head.seq:
                    self._written = current.seq
                    return False
                self._replace(head)
                self._written = head.seq
                return True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # drops the lock

    def _replace(self, head: Head) -> None:
        body = {
            "seq": head.seq,
            "entry_hash": head.entry_hash,
            "database": self.database,
            "written_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        }
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, json.dumps(body, indent=1).encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _is_hash(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def for_settings(settings: Settings) -> Witness | None:
    """The witness of the configured database: ``audit_witness`` if set, else
    ``audit-head.json`` beside an SQLite file or in ``data_dir``; none for an in-memory
    database."""
    url = make_url(settings.database.url)
    database = url.render_as_string(hide_password=True)
    if settings.audit_witness is not None:
        return Witness(settings.audit_witness, database=database)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
            return None
        return Witness(Path(url.database).parent / FILE_NAME, database=database)
    return Witness(settings.data_dir / FILE_NAME, database=database)


def stage(db: Session, head: Head) -> None:
    """Note the head ``db``'s transaction will have once committed (the audit append)."""
    db.info[_COMMITTED_HEAD] = head


def bind(factory: sessionmaker[Session], witness: Witness) -> None:
    """After each commit of ``factory``'s sessions that appended entries, record the new
    head in ``witness``, once per transaction.

    A failure to write is logged, not raised: the change is committed already, and a
    witness behind the database is what a crash would leave anyway.
    """

    def after_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return
        head = session.info.pop(_COMMITTED_HEAD, None)
        if head is None:
            return
        try:
            witness.record(head)
        except OSError as exc:
            log.error("could not write the audit witness %s: %s", witness.path, exc)

    def after_transaction_end(session: Session, ended: SessionTransaction) -> None:
        if ended.parent is None:  # rolled back or closed: that head never was
            session.info.pop(_COMMITTED_HEAD, None)

    sa_event.listen(factory, "after_commit", after_commit)
    sa_event.listen(factory, "after_transaction_end", after_transaction_end)


Status = Literal["none", "fresh", "missing", "unreadable", "ok", "ahead", "truncated", "diverged"]
FAILED: frozenset[Status] = frozenset({"unreadable", "truncated", "diverged"})


@dataclass(frozen=True, slots=True)
class Sighting:
    """What the witness file held, read *before* the database snapshot is taken.

    (A commit lands before its witness write, so a head read first is never ahead of
    a snapshot taken after it.)
    """

    witness: Witness | None
    head: Head | None = None
    error: str | None = None


def look(witness: Witness | None) -> Sighting:
    """Read ``witness`` now; call before the verifying transaction's first query."""
    if witness is None:
        return Sighting(None)
    try:
        return Sighting(witness, witness.read())
    except WitnessUnreadable as exc:
        return Sighting(witness, error=str(exc))


@dataclass(frozen=True, slots=True)
class Comparison:
    """The database's head set against its witness."""

    status: Status
    message: str
    witness_seq: int | None = None

    @property
    def failed(self) -> bool:
        """Whether the log is shorter than its witness, or differs from it."""
        return self.status in FAILED

    @property
    def warning(self) -> bool:
        """Entries there, but no witness to check the end against."""
        return self.status == "missing"


def compare(db: Session, sighting: Sighting, report: chain.Report) -> Comparison:
    """Set the verified chain in ``db`` (``report``) against ``sighting``."""
    witness = sighting.witness
    if witness is None:
        return Comparison("none", "no witness for an in-memory database")
    where = witness.path
    if sighting.error is not None:
        return Comparison("unreadable", f"the witness at {where} is unreadable: {sighting.error}")
    head = sighting.head
    if head is None:
        if report.head_seq == 0:
            return Comparison("fresh", f"no witness at {where} yet (the log is empty)")
        return Comparison(
            "missing",
            f"no witness at {where}: cannot tell whether entries were cut from the end "
            f"(it is written at the next audited commit)",
        )
    found = f"the witness at {where} says {head.seq}"
    if report.head_seq < head.seq:
        return Comparison("truncated", f"the database ends at {report.head_seq}, {found}", head.seq)
    stored = (
        chain.GENESIS_HASH
        if head.seq == 0
        else db.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == head.seq))
    )
    if stored != head.entry_hash:
        held = f"has hash {stored}" if stored else "is missing"
        return Comparison(
            "diverged",
            f"entry {head.seq} {held} in the database, but {found} with hash {head.entry_hash}",
            head.seq,
        )
    if report.head_seq > head.seq:
        return Comparison(
            "ahead",
            f"{found}; the database goes on to {report.head_seq} (not yet witnessed)",
            head.seq,
        )
    return Comparison("ok", f"matches the witness at {where}", head.seq)
