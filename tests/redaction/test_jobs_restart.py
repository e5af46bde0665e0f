"""Redaction jobs are rows of ``redaction_jobs``: a job outlives the server that ran it
(a new runtime and app on the same database answer for it, review and export it), and
a job cut off mid-analysis or mid-export by a stopped server is marked failed with the
reason when a server starts, while jobs of live replicas are left alone (issue 17,
item 4)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from signalfire.api.app import create_app
from signalfire.core import clock
from signalfire.core.audit.models import AuditEntry
from signalfire.core.auth.permissions import Role
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime
from signalfire.redaction.models import RedactionJob
from signalfire.redaction.recovery import STALE_AFTER
from tests.conftest import World, bearer, runtime_on
from tests.redaction.support import grace_hopper, write_clip

WHY = {"X-Signalfire-Purpose": "release to court", "X-Signalfire-Case": "C-2026-118"}
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def replica(database_url: str, road_cache: Path, tmp_path: Path) -> Iterator[Runtime]:
    """A second runtime on the same database and data directory: the restarted server."""
    rt = runtime_on(database_url, tmp_path, road_cache)
    yield rt
    rt.engine.dispose()


def _wait(client: TestClient, job: str, headers: dict[str, str], *status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = client.get(f"/api/redactions/{job}", headers=headers).json()
        if body["status"] in status:
            return body
        time.sleep(0.1)
    raise AssertionError(f"job {job} still {body.get('status')}")


def _actions(runtime: Runtime, job: str) -> list[str]:
    with runtime.sessions() as db:
        query = select(AuditEntry.action).where(AuditEntry.record_id == job)
        return sorted(db.scalars(query))


def test_a_job_survives_a_restart_and_is_reviewed_and_exported_by_the_new_server(
    runtime: Runtime, replica: Runtime, world: World, tmp_path: Path
) -> None:
    agency = world.agency("HKI-POL", kind="police")
    operator = bearer(world.token(world.user("vid.op", agency, [Role.VIDEO_OPERATOR])))
    other = world.agency("ESP-POL", kind="police")
    outsider = bearer(world.token(world.user("esp.op", other, [Role.VIDEO_OPERATOR])))
    clip = write_clip(tmp_path / "in.mp4", grace_hopper(), lambda i: (20 + 2 * i, 50), frames=12)

    with TestClient(create_app(runtime)) as first:
        uploaded = first.post(
            "/api/redactions/clips", content=clip.path.read_bytes(), headers=operator
        )
        assert uploaded.status_code == 201, uploaded.text
        body = {"clip": uploaded.json()["clip"], "options": {"method": "black"}}
        created = first.post("/api/redactions", json=body, headers={**operator, **WHY})
        assert created.status_code == 202, created.text
        job = created.json()["id"]
        before = _wait(first, job, operator, "review", "failed")
        assert before["status"] == "review", before
        assert [t["kind"] for t in before["tracks"]] == ["face"]

    with TestClient(create_app(replica)) as second:  # the server after a restart
        after = second.get(f"/api/redactions/{job}", headers=operator)
        assert after.status_code == 200, after.text
        assert after.json() == before
        assert second.get(f"/api/redactions/{job}", headers=outsider).status_code == 404
        assert second.delete(f"/api/redactions/{job}", headers=outsider).status_code == 404
        # the stored analysis is reviewed and exported without analysing again
        preview = second.get(
            f"/api/redactions/{job}/preview", params={"frame": 3}, headers=operator
        )
        assert preview.status_code == 200, preview.text
        edits = {"whole_frames": [{"start_frame": 0, "end_frame": 1}]}
        put = second.put(f"/api/redactions/{job}/edits", json=edits, headers=operator)
        assert put.status_code == 200, put.text
        exporting = second.post(f"/api/redactions/{job}/export", headers=operator)
        assert exporting.status_code == 202, exporting.text
        done = _wait(second, job, operator, "done", "failed")
        assert done["status"] == "done", done
        assert done["report"]["whole_frames"][0]["end_frame"] == 1
        assert second.get(f"/api/redactions/{job}/output", headers=operator).status_code == 200

    assert _actions(replica, job) == ["redaction.downloaded", "redaction.exported"]
    with TestClient(create_app(runtime)) as third:  # and once more: done stays done
        again = third.get(f"/api/redactions/{job}", headers=operator).json()
        assert again == done
        assert third.get(f"/api/redactions/{job}", headers=outsider).status_code == 404


def _row(agency_id: int, status: str, holder: str | None, **values: Any) -> RedactionJob:
    now = clock.now()
    return RedactionJob(
        id=uuid.uuid4().hex,
        agency_id=agency_id,
        created_by=None,
        created_by_username="vid.op",
        purpose="release to court",
        case_number="C-2026-118",
        source="upload:x",
        source_name="clip x",
        source_field="clip",
        input_path="/nowhere/x.bin",
        options={},
        edits={},
        export_when_ready=False,
        status=status,
        stage="render" if status == "exporting" else "analyse",
        done=5,
        total=100,
        tracks=[],
        holder=holder,
        created_at=now,
        updated_at=values.pop("updated_at", now),
        **values,
    )


def _dead_pid() -> int:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait(timeout=30)
    return finished.pid


def test_only_jobs_of_stopped_processes_are_failed_at_start(
    runtime: Runtime, world: World, tmp_path: Path
) -> None:
    agency = world.agency("HKI-POL", kind="police")
    operator = bearer(world.token(world.user("vid.op", agency, [Role.VIDEO_OPERATOR])))
    host = socket.gethostname()
    stale = clock.now() - STALE_AFTER - timedelta(minutes=1)
    rows = {
        "dead process here": _row(agency.id, "analysing", f"{host}:{_dead_pid()}:a1"),
        "restarted container": _row(agency.id, "analysing", f"{host}:{os.getpid()}:gone"),
        "silent replica": _row(agency.id, "analysing", "elsewhere:7:b2", updated_at=stale),
        "export cut off": _row(
            agency.id, "exporting", f"{host}:{_dead_pid()}:c3", frame_count=100, fps=25.0
        ),
        "live replica here": _row(agency.id, "analysing", f"{host}:{os.getppid()}:d4"),
        "live replica elsewhere": _row(agency.id, "exporting", "elsewhere:7:e5"),
        "finished": _row(agency.id, "review", None, frame_count=100, fps=25.0),
    }
    with transaction(runtime.sessions) as db:
        db.add_all(rows.values())
    cut_export = tmp_path / "redactions" / rows["export cut off"].id
    cut_export.mkdir(parents=True)
    (cut_export / "redacted.mp4").write_bytes(b"never audited")

    with TestClient(create_app(runtime)) as client:
        seen = {
            what: client.get(f"/api/redactions/{row.id}", headers=operator).json()
            for what, row in rows.items()
        }
    failed = {what for what, body in seen.items() if body["status"] == "failed"}
    assert failed == {
        "dead process here",
        "restarted container",
        "silent replica",
        "export cut off",
    }
    assert seen["dead process here"]["error"] == (
        "the server stopped while this job was analysing; start it again"
    )
    assert seen["dead process here"]["progress"] == {"stage": "idle", "done": 5, "total": 100}
    assert seen["export cut off"]["error"] == (
        "the server stopped while this job was exporting; export it again"
    )
    assert not (cut_export / "redacted.mp4").exists()
    assert seen["live replica here"]["status"] == "analysing"
    assert seen["live replica elsewhere"]["status"] == "exporting"
    assert seen["finished"]["status"] == "review"


def test_a_job_killed_mid_analysis_is_failed_with_the_reason_after_restart(
    database_url: str, runtime: Runtime, world: World, tmp_path: Path
) -> None:
    agency = world.agency("HKI-POL", kind="police")
    operator = bearer(world.token(world.user("vid.op", agency, [Role.VIDEO_OPERATOR])))
    outsider_agency = world.agency("ESP-POL", kind="police")
    outsider = bearer(world.token(world.user("esp.op", outsider_agency, [Role.VIDEO_OPERATOR])))
    clip = write_clip(tmp_path / "in.mp4", grace_hopper(), lambda _: (20, 50), frames=200)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.redaction.stopped_job_process",
            database_url,
            str(tmp_path),
            str(clip.path),
            str(agency.id),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        progress = None
        while time.monotonic() < deadline and process.poll() is None:
            with runtime.sessions() as db:
                progress = db.scalars(select(RedactionJob)).first()
                if progress is not None and progress.done >= 2:
                    break
            time.sleep(0.2)
        assert progress is not None, "the job was not stored"
        assert progress.done >= 2, "the job's progress was not written"
        assert progress.status == "analysing"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    with TestClient(create_app(runtime)) as client:
        body = client.get(f"/api/redactions/{progress.id}", headers=operator).json()
        assert client.get(f"/api/redactions/{progress.id}", headers=outsider).status_code == 404
    assert body["status"] == "failed", body
    assert body["error"] == "the server stopped while this job was analysing; start it again"
    assert body["source"] == "upload:killed"
    assert 2 <= body["progress"]["done"] < 200
    assert _actions(runtime, progress.id) == []
