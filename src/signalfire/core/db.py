"""Database engine, sessions and the declarative base.

SQLite runs in WAL mode with foreign keys on and ``BEGIN IMMEDIATE`` transactions that
queue at a :class:`WriteGate`, so concurrent writers wait their turn instead of failing
half-way. PostgreSQL is used as given.
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from signalfire.core.errors import DomainError, Forbidden, Unavailable

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, so the value is normalised to UTC on the way in and
    tagged UTC on the way out; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use signalfire.core.clock.now()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


READ_ONLY = "signalfire_read_only"


class WriteGate:
    """One SQLite transaction at a time in this process, handed over in arrival order.

    SQLite lets one writer in at a time and makes the others poll; under load a poller
    can lose every race until its busy timeout expires. Waiting here instead blocks the
    thread until the transaction before it ends, so no request starves.
    """

    def __init__(self, wait_seconds: float) -> None:
        self._lock = threading.Lock()
        self._holder: Any = None
        self.wait_seconds = wait_seconds

    def enter(self, dbapi_connection: Any) -> None:
        if not self._lock.acquire(timeout=self.wait_seconds):
            raise Unavailable(
                f"the database stayed busy for {self.wait_seconds:.0f} s; try again",
                retry_after=1,
            )
        self._holder = dbapi_connection

    def leave(self, dbapi_connection: Any) -> None:
        if self._holder is not None and self._holder is dbapi_connection:
            self._holder = None
            self._lock.release()


#: ``SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`` from sqlite3.h (SQLite 3.16 and later); not 1010,
#: which is ``SQLITE_DBCONFIG_DEFENSIVE``.
NO_CKPT_ON_CLOSE = 1006


def keep_wal_on_close(connection: sqlite3.Connection) -> None:
    """Make closing ``connection`` leave the WAL file alone, even if it looks like the last.

    A closing SQLite connection that gets an exclusive lock on the database file takes
    itself for the last user: it checkpoints and deletes the ``-wal`` file. If a server's
    POSIX locks on the file were lost (any ``close()`` of the file in its process drops
    them), a short-lived command would delete the WAL the server still appends to, and the
    server's later commits would go to a deleted file. With this flag the command's close
    skips that step; the next opener (or the server's own close) checkpoints instead.

    Python 3.12 exposes the flag as ``Connection.setconfig``. On 3.11 we call
    ``sqlite3_db_config`` through ctypes on the very library the ``_sqlite3`` module
    links against (``dlsym`` on its handle searches its dependencies), with the
    connection's ``sqlite3*``: the first field after ``PyObject_HEAD`` of CPython 3.11's
    ``pysqlite_Connection``. No extension module or new dependency (apsw, pysqlite3)
    is needed for one flag; the setting is read back, so a wrong guess fails loudly.
    """
    if sys.version_info >= (3, 12):
        connection.setconfig(NO_CKPT_ON_CLOSE, True)
        on = connection.getconfig(NO_CKPT_ON_CLOSE)
    else:
        on = _db_config(connection, NO_CKPT_ON_CLOSE, 1)
    if not on:
        raise RuntimeError("SQLite refused SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE")


def _db_config(connection: sqlite3.Connection, op: int, value: int) -> bool:
    """``sqlite3_db_config(db, op, value, &out)`` on CPython 3.11; returns ``out``."""
    if sys.implementation.name != "cpython" or type(connection) is not sqlite3.Connection:
        raise RuntimeError("keeping the WAL on close needs CPython's own sqlite3.Connection")
    handle = ctypes.c_void_p.from_address(id(connection) + object.__basicsize__).value
    if not handle:
        raise RuntimeError("the sqlite3 connection is closed")
    out = ctypes.c_int(-1)
    if _sqlite3_db_config()(handle, op, value, ctypes.byref(out)) != 0:
        raise RuntimeError(f"sqlite3_db_config({op}) failed")
    return out.value == 1


@functools.cache
def _sqlite3_db_config() -> Any:
    """``sqlite3_db_config`` of the SQLite library that ``_sqlite3`` uses."""
    library = ctypes.CDLL(importlib.import_module("_sqlite3").__file__)
    function = library.sqlite3_db_config  # variadic; int and pointer arguments pass as is
    function.restype = ctypes.c_int
    function.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    return function


def _configure_sqlite(engine: Engine, gate: WriteGate, *, keep_wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if keep_wal:
            keep_wal_on_close(dbapi_connection)
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        raw = connection.connection.dbapi_connection
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # a snapshot: no write lock, no gate
            return
        gate.enter(raw)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.leave(raw)
            raise

    # These events fire just before SQLAlchemy ends the transaction; end it here so the
    # gate opens only once the database lock is free (SQLAlchemy's own call is then a
    # no-op on a connection no longer in a transaction).
    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        raw = connection.connection.dbapi_connection
        try:
            raw.commit()
        finally:
            gate.leave(raw)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        raw = connection.connection.dbapi_connection
        try:
            if raw is not None and raw.in_transaction:
                raw.rollback()
        finally:
            gate.leave(raw)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        gate.leave(dbapi_connection)  # a transaction that ended without commit/rollback


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite ``url``; None for other databases and ``:memory:``.

    >>> sqlite_file("sqlite:///var/signalfire.db")
    PosixPath('var/signalfire.db')
    >>> sqlite_file("postgresql://db/signalfire") is None
    True
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return None if parsed.database == ":memory:" else Path(parsed.database)


def make_engine(url: str, *, echo: bool = False, keep_wal: bool = False) -> Engine:
    """Create an engine for ``url``, creating the SQLite file's directory if needed.

    ``keep_wal``: SQLite connections never delete the WAL when they close (see
    :func:`keep_wal_on_close`); for commands that may run beside a server.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Enough connections for every request the API lets work at once (plus jobs):
        # a request waiting at the write gate already holds one.
        in_memory = not database or database == ":memory:"
        pool = {} if in_memory else {"pool_size": 40, "max_overflow": 10}
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False}, **pool)
        _configure_sqlite(engine, WriteGate(wait_seconds=30), keep_wal=keep_wal)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions that do not expire objects on commit (responses read them after).

    ``read_only`` sessions read a snapshot without taking SQLite's write lock, so a
    long read (verifying the audit chain, a live snapshot) never holds writers up.
    """
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)


Denied = Callable[[Session, Forbidden], None]
"""What a unit of work does, in a fresh transaction, when it ended in a 403 (audit it)."""


def end(db: Session, error: BaseException | None, *, on_denied: Denied | None = None) -> None:
    """End a unit of work: commit on success, roll back on error, close the session.

    Errors that say so (a refused login's failure count) keep their side effects; a
    denial is handed to ``on_denied`` in a transaction of its own after the rollback.
    """
    try:
        if error is None or (isinstance(error, DomainError) and error.keep_side_effects):
            db.commit()
            return
        db.rollback()
        if on_denied is not None and isinstance(error, Forbidden):
            on_denied(db, error)
            db.commit()
    finally:
        db.close()


@contextmanager
def transaction(
    factory: sessionmaker[Session], *, on_denied: Denied | None = None
) -> Iterator[Session]:
    """One unit of work, the only one: commit when the block ends, roll back if it
    raises (see :func:`end`)."""
    db = factory()
    try:
        yield db
    except BaseException as exc:
        end(db, exc, on_denied=on_denied)
        raise
    end(db, None)
