"""Redaction jobs over HTTP: upload, analysis with progress, review edits, preview,
export, download; video operators only, justified by purpose and case, and audited with
the output's hash."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select

from signalfire.core.audit.models import AuditEntry
from signalfire.core.audit.service import details_of
from signalfire.core.auth.permissions import Role
from signalfire.core.runtime import Runtime
from tests.conftest import World, bearer
from tests.redaction.support import black_share, decode, grace_hopper, write_clip

WHY = {"X-Signalfire-Purpose": "release to court", "X-Signalfire-Case": "C-2026-118"}


def _wait(client: TestClient, job: str, headers: dict[str, str], *status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/redactions/{job}", headers=headers).json()
        if body["status"] in status:
            return body
        time.sleep(0.2)
    raise AssertionError(f"job {job} still {body['status']}")


def test_job_review_export_download_audited(
    client: TestClient, world: World, runtime: Runtime, tmp_path: Path
) -> None:
    agency = world.agency("HKI-POL", kind="police")
    operator = bearer(world.token(world.user("vid.op", agency, [Role.VIDEO_OPERATOR])))
    dispatcher = bearer(world.token(world.user("disp", agency, [Role.DISPATCHER])))
    other = world.agency("ESP-POL", kind="police")
    outsider = bearer(world.token(world.user("esp.op", other, [Role.VIDEO_OPERATOR])))
    clip = write_clip(tmp_path / "in.mp4", grace_hopper(), lambda i: (20 + 2 * i, 50), frames=30)
    data = clip.path.read_bytes()

    assert client.post("/api/redactions/clips", content=data, headers=dispatcher).status_code == 403
    bad = client.post("/api/redactions/clips", content=b"not a video" * 50, headers=operator)
    assert bad.status_code == 422
    assert "not a readable video" in bad.json()["detail"]
    uploaded = client.post("/api/redactions/clips", content=data, headers=operator)
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["sha256"] == hashlib.sha256(data).hexdigest()
    clip_id = uploaded.json()["clip"]

    body = {"clip": clip_id, "options": {"method": "black", "scale": None}}
    refused = client.post("/api/redactions", json=body, headers=operator)
    assert refused.status_code == 422  # no purpose and case
    created = client.post("/api/redactions", json=body, headers={**operator, **WHY})
    assert created.status_code == 202, created.text
    job = created.json()["id"]
    assert created.json()["progress"]["stage"] in ("analyse", "idle")
    assert client.get(f"/api/redactions/{job}", headers=outsider).status_code == 404

    review = _wait(client, job, operator, "review", "failed")
    assert review["status"] == "review", review
    assert review["frame_count"] == 30
    assert [t["kind"] for t in review["tracks"]] == ["face"]
    face = clip.faces[10]
    assert face is not None
    jpeg = client.get(f"/api/redactions/{job}/preview", params={"frame": 10}, headers=operator)
    assert jpeg.headers["content-type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(jpeg.content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    assert black_share(np.asarray(image, np.uint8), face) >= 0.95
    fps = review["fps"]
    by_time = client.get(f"/api/redactions/{job}/preview", params={"t": 10 / fps}, headers=operator)
    assert by_time.content == jpeg.content  # the same frame, named by its time
    for both_or_neither in ({"t": 0.1, "frame": 1}, {}):
        refused = client.get(
            f"/api/redactions/{job}/preview", params=both_or_neither, headers=operator
        )
        assert refused.status_code == 422, refused.text

    edits = {"whole_frames": [{"start_frame": 0, "end_frame": 2}]}
    late = {"whole_frames": [{"start_frame": 30, "end_frame": 31}]}
    assert (
        client.put(f"/api/redactions/{job}/edits", json=late, headers=operator).status_code == 422
    )
    put = client.put(f"/api/redactions/{job}/edits", json=edits, headers=operator)
    assert put.status_code == 200, put.text
    assert client.post(f"/api/redactions/{job}/export", headers=operator).status_code == 202
    done = _wait(client, job, operator, "done", "failed")
    assert done["status"] == "done", done
    report = done["report"]
    assert report["whole_frames"][0]["end_frame"] == 2

    video = client.get(f"/api/redactions/{job}/output", headers=operator)
    assert video.status_code == 200
    digest = hashlib.sha256(video.content).hexdigest()
    assert digest == report["output"]["sha256"]
    (tmp_path / "got.mp4").write_bytes(video.content)
    assert len(decode(tmp_path / "got.mp4")) == 30

    with runtime.sessions() as db:
        entries = list(db.scalars(select(AuditEntry).where(AuditEntry.record_id == job)))
    exported = [e for e in entries if e.action == "redaction.exported"]
    assert len(exported) == 1
    entry = exported[0]
    assert (entry.actor_username, entry.purpose, entry.case_number) == (
        "vid.op",
        "release to court",
        "C-2026-118",
    )
    assert details_of(entry)["output_sha256"] == digest
    assert details_of(entry)["input_sha256"] == hashlib.sha256(data).hexdigest()
    assert [e.action for e in entries].count("redaction.downloaded") == 1
