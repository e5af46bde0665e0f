"""The audit trail in the database: written with the change, checked by the CLI.

Tampering needs the append-only triggers out of the way first, as it would for an
intruder with database access; ``signalfire audit verify`` must then find it.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from signalfire.cli import app as cli
from signalfire.core.audit import service as audit
from signalfire.core.audit.models import HASHED_COLUMNS, AuditEntry, AuditHead
from signalfire.core.db import transaction
from signalfire.core.events import ActorRef, Event, emit
from signalfire.core.runtime import Runtime


class ThingDone(Event):
    topic: ClassVar[str] = "test.thing_done"
    note: str


def record(runtime: Runtime, count: int) -> None:
    for n in range(count):
        with transaction(runtime.sessions) as db:
            emit(
                db,
                ThingDone(
                    actor=ActorRef(user_id=7, username="a.user", agency_id=1),
                    agency_id=1,
                    record_type="thing",
                    record_id=str(n),
                    purpose="testing",
                    case_number=f"C-{n}",
                    note=f"n={n}",
                ),
            )


def unprotect(db: Session) -> None:
    """Remove the append-only guard, as a tamperer with database access would."""
    if db.get_bind().dialect.name == "sqlite":
        db.execute(text("DROP TRIGGER audit_entries_no_update"))
        db.execute(text("DROP TRIGGER audit_entries_no_delete"))
    else:
        db.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command reads the witness where the ``runtime`` fixture writes it."""
    monkeypatch.setenv("SIGNALFIRE_DATA_DIR", str(tmp_path))


def run_verify(database_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("SIGNALFIRE_DATABASE__URL", database_url)
    result = CliRunner().invoke(cli, ["audit", "verify"])
    return result.exit_code, result.output


def tampered_value(value: Any) -> Any:
    if value is None:
        return "x"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value[:-1] + ("0" if value[-1:] != "0" else "1")
    return value + timedelta(seconds=1)  # datetimes


@pytest.fixture
def five(runtime: Runtime) -> Runtime:
    record(runtime, 5)
    return runtime


def test_an_intact_log_verifies(
    five: Runtime, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = run_verify(database_url, monkeypatch)
    assert code == 0, output
    assert "OK: 5 entries" in output


@pytest.mark.parametrize("column", [c for c in HASHED_COLUMNS if c != "seq"] + ["entry_hash"])
def test_altering_any_field_is_caught(
    five: Runtime, database_url: str, monkeypatch: pytest.MonkeyPatch, column: str
) -> None:
    with transaction(five.sessions) as db:
        unprotect(db)
        old = db.scalar(select(getattr(AuditEntry, column)).where(AuditEntry.seq == 3))
        db.execute(
            update(AuditEntry).where(AuditEntry.seq == 3).values({column: tampered_value(old)})
        )
    code, output = run_verify(database_url, monkeypatch)
    assert code == 1
    assert "TAMPERED at entry 3" in output


@pytest.mark.parametrize(("seq", "first_bad"), [(1, 1), (3, 3), (5, 5)])
def test_deleting_an_entry_is_caught(
    five: Runtime, database_url: str, monkeypatch: pytest.MonkeyPatch, seq: int, first_bad: int
) -> None:
    with transaction(five.sessions) as db:
        unprotect(db)
        db.execute(delete(AuditEntry).where(AuditEntry.seq == seq))
    code, output = run_verify(database_url, monkeypatch)
    assert code == 1
    assert f"TAMPERED at entry {first_bad}: removed" in output


def test_deleting_the_tail_and_rewinding_the_head_is_caught_by_an_anchor(
    five: Runtime, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNALFIRE_DATABASE__URL", database_url)
    anchor = CliRunner().invoke(cli, ["audit", "head"]).output.strip()
    with transaction(five.sessions) as db:
        unprotect(db)
        previous = db.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == 4))
        db.execute(delete(AuditEntry).where(AuditEntry.seq == 5))
        db.execute(update(AuditHead).values(seq=4, entry_hash=previous))
    assert five.witness is not None
    five.witness.path.unlink()  # a tamperer who reached the witness file too
    code, output = run_verify(database_url, monkeypatch)
    assert code == 0, output  # consistent, but shorter: only a warning without a witness
    assert "WARNING: no witness" in output
    result = CliRunner().invoke(cli, ["audit", "verify", "--expect-head", anchor])
    assert result.exit_code == 1
    assert "TAMPERED" in result.output


def test_swapping_two_entries_is_caught(
    five: Runtime, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(five.sessions) as db:
        unprotect(db)
        rows = {
            e.seq: {c: getattr(e, c) for c in (*HASHED_COLUMNS, "entry_hash")}
            for e in db.scalars(select(AuditEntry).where(AuditEntry.seq.in_([2, 3])))
        }
        db.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(seq=-3))
        db.execute(
            update(AuditEntry)
            .where(AuditEntry.seq == 2)
            .values({**rows[3], "seq": 2, "entry_hash": "tmp"})
        )
        db.execute(update(AuditEntry).where(AuditEntry.seq == -3).values({**rows[2], "seq": 3}))
        db.execute(
            update(AuditEntry).where(AuditEntry.seq == 2).values(entry_hash=rows[3]["entry_hash"])
        )
    code, output = run_verify(database_url, monkeypatch)
    assert code == 1
    assert "TAMPERED at entry 2: reordered" in output


def test_renumbering_two_entries_is_caught(
    five: Runtime, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(five.sessions) as db:
        unprotect(db)
        db.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(seq=-2))
        db.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(seq=2))
        db.execute(update(AuditEntry).where(AuditEntry.seq == -2).values(seq=4))
    code, output = run_verify(database_url, monkeypatch)
    assert code == 1
    assert "TAMPERED at entry 2" in output


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_entries WHERE seq = 1",
    ],
)
def test_the_database_refuses_to_change_entries(five: Runtime, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), transaction(five.sessions) as db:
        db.execute(text(statement))


def fail_after_emitting(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        emit(db, ThingDone(note="rolled back"))
        raise RuntimeError("the change failed")


def test_an_entry_lands_only_with_its_change(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError):
        fail_after_emitting(runtime)
    record(runtime, 1)
    with runtime.sessions() as db:
        entries = db.scalars(select(AuditEntry)).all()
        assert [audit.details_of(e)["note"] for e in entries] == ["n=0"]
        assert entries[0].purpose == "testing"
        assert entries[0].case_number == "C-0"
        assert entries[0].outcome == "allowed"


def test_a_change_is_not_committed_when_its_audit_entry_cannot_be_written(
    runtime: Runtime,
) -> None:
    from signalfire.accounts.models import Agency
    from signalfire.accounts.schemas import AgencyCreate
    from signalfire.accounts.service import create_agency
    from signalfire.core.auth.actor import Actor
    from signalfire.core.errors import Conflict

    with transaction(runtime.sessions) as db:
        db.execute(delete(AuditHead))
    with pytest.raises(Conflict), transaction(runtime.sessions) as db:
        create_agency(
            db=db,
            actor=Actor.operator(),
            data=AgencyCreate(code="EMS", name="Ambulance", kind="ems"),
        )
    with runtime.sessions() as db:
        assert db.scalars(select(Agency)).all() == []


def test_concurrent_writers_keep_one_unbroken_chain(runtime: Runtime) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            record(runtime, 10)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with runtime.sessions() as db:
        report = audit.verify(db)
    assert report.ok, report.finding
    assert report.checked == 40
