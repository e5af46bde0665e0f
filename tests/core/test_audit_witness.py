"""The audit head kept outside the database: a cut tail is caught without an anchor.

An intruder who deletes the newest entries and rewinds the head row leaves a chain
that is consistent, only shorter; the witness file, written after each audited commit,
still names the head the database had.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from signalfire.cli import app as cli
from signalfire.core.audit import witness
from signalfire.core.audit.models import AuditEntry, AuditHead
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime
from tests.core.test_audit_storage import record, unprotect


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("SIGNALFIRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SIGNALFIRE_DATABASE__URL", database_url)


def verify() -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["audit", "verify"])
    return result.exit_code, result.output


def cut_tail(runtime: Runtime, keep: int) -> None:
    """Delete every entry after ``keep`` and rewind the head row to it."""
    with transaction(runtime.sessions) as db:
        unprotect(db)
        kept = db.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == keep))
        db.execute(delete(AuditEntry).where(AuditEntry.seq > keep))
        db.execute(update(AuditHead).values(seq=keep, entry_hash=kept))


def test_each_audited_commit_moves_the_witness_to_the_head(runtime: Runtime) -> None:
    assert runtime.witness is not None
    record(runtime, 3)
    written = json.loads(runtime.witness.path.read_text())
    with runtime.reader() as db:
        head = db.scalar(select(AuditEntry).where(AuditEntry.seq == 3))
    assert head is not None
    assert (written["seq"], written["entry_hash"]) == (3, head.entry_hash)
    code, output = verify()
    assert code == 0, output
    assert "matches the witness" in output


def test_a_cut_tail_is_caught_without_being_told_the_head(runtime: Runtime) -> None:
    record(runtime, 5)
    cut_tail(runtime, keep=3)
    code, output = verify()
    assert code == 1, output
    assert "TRUNCATED: the database ends at 3" in output
    assert "says 5" in output


def test_a_rewritten_tail_is_caught(runtime: Runtime) -> None:
    record(runtime, 5)
    cut_tail(runtime, keep=3)
    record(runtime, 2)  # a consistent chain to 5 again, with other entries 4 and 5
    assert runtime.witness is not None
    runtime.witness.path.write_text(
        json.dumps({"seq": 5, "entry_hash": "0" * 64})
    )  # the witness as it was before the rewrite, with its old hash
    code, output = verify()
    assert code == 1, output
    assert "TAMPERED: entry 5 has hash" in output


def test_an_unreadable_witness_fails_verification(runtime: Runtime) -> None:
    record(runtime, 2)
    assert runtime.witness is not None
    runtime.witness.path.write_text("not a witness")
    code, output = verify()
    assert code == 1
    assert "UNCHECKED" in output


def test_the_witness_never_goes_back(tmp_path: Path) -> None:
    file = witness.Witness(tmp_path / "head.json", database="test")
    assert file.record(witness.Head(5, "a" * 64))
    assert not file.record(witness.Head(4, "b" * 64))  # a commit that finished late
    other_process = witness.Witness(tmp_path / "head.json", database="test")
    assert not other_process.record(witness.Head(3, "c" * 64))
    assert file.read() == witness.Head(5, "a" * 64)
