"""Storage settings that the rest of the platform relies on."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from signalfire.accounts.models import User
from signalfire.core import clock
from signalfire.core.db import make_engine
from signalfire.core.runtime import Runtime


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/sub/dir/signalfire.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_foreign_keys_are_enforced(runtime: Runtime) -> None:
    with runtime.sessions() as db:
        db.add(
            User(
                agency_id=999,
                username="orphan",
                display_name="o",
                is_active=True,
                failed_logins=0,
                totp_confirmed=False,
                created_at=clock.now(),
            )
        )
        with pytest.raises(IntegrityError):
            db.flush()


def test_naive_timestamps_are_refused(runtime: Runtime) -> None:
    with runtime.sessions() as db:
        db.add(
            User(
                agency_id=1,
                username="naive",
                display_name="n",
                is_active=True,
                failed_logins=0,
                totp_confirmed=False,
                created_at=datetime(2026, 1, 1),
            )
        )
        with pytest.raises(StatementError, match="naive datetime"):
            db.flush()


def test_a_long_read_does_not_hold_writers_up(runtime: Runtime) -> None:
    from signalfire.accounts.schemas import AgencyCreate
    from signalfire.accounts.service import create_agency
    from signalfire.core.auth.actor import Actor
    from signalfire.core.db import transaction

    with runtime.reader() as reading:
        reading.execute(text("SELECT count(*) FROM audit_entries")).scalar()  # snapshot open
        with transaction(runtime.sessions) as db:  # would wait at the gate if the read held it
            create_agency(
                db=db,
                actor=Actor.operator(),
                data=AgencyCreate(code="RO", name="Read only", kind="other"),
            )
    with runtime.reader() as fresh:
        assert fresh.execute(text("SELECT count(*) FROM agencies")).scalar() == 1
