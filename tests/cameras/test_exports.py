"""Clip export by time range: segments joined, every face blurred, each step audited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from signalfire.cameras.models import ClipExport
from signalfire.cameras.recordings import retention
from signalfire.core.audit.models import AuditEntry
from signalfire.core.auth.permissions import Role
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime
from tests.cameras.media import astronaut_scene
from tests.cameras.recorded import store_segments
from tests.cameras.scenes import crossing_video
from tests.cameras.support import add_camera, wait_for
from tests.conftest import Clock, World, bearer
from tests.units import support
from tests.units.support import Crew, Headers, Json, ok


@pytest.fixture
def fire(world: World, frozen_clock: Clock) -> Crew:
    return support.crew(world, "FIRE")


@pytest.fixture
def operator(world: World, fire: Crew) -> Headers:
    user = world.user("fire.video", fire.agency, [Role.VIDEO_OPERATOR], password=None)
    return {
        **bearer(world.token(user)),
        "X-Signalfire-Purpose": "evidence for the prosecutor",
        "X-Signalfire-Case": "HKI-2026-4211",
    }


def finished(client: TestClient, headers: Headers, export_id: int) -> Json | None:
    """The export once it is no longer running."""
    export: Json = ok(client.get(f"/api/cameras/exports/{export_id}", headers=headers))
    return None if export["status"] == "running" else export


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def test_a_clip_of_a_time_range_is_exported_with_faces_blurred(
    client: TestClient,
    runtime: Runtime,
    fire: Crew,
    operator: Headers,
    frozen_clock: Clock,
    tmp_path: Path,
) -> None:
    camera = add_camera(client, fire.supervisor, "/srv/a.mp4", recording_mode="continuous")
    base = frozen_clock.now - timedelta(minutes=30)
    starts = [base, base + timedelta(seconds=2), base + timedelta(seconds=4)]
    store_segments(runtime, camera["id"], crossing_video(tmp_path), starts)  # 20, 20, 16 frames
    asked = {
        "starts_at": (base + timedelta(seconds=2.5)).isoformat(),
        "ends_at": (base + timedelta(seconds=5)).isoformat(),
    }
    made = ok(
        client.post(f"/api/cameras/{camera['id']}/exports", json=asked, headers=operator), 202
    )
    assert made["status"] == "running"
    done: Json = wait_for(
        lambda: (
            (got := ok(client.get(f"/api/cameras/exports/{made['id']}", headers=operator)))[
                "status"
            ]
            != "running"
            and got
        )
    )
    assert done["status"] == "done", done["error"]
    assert done["progress"] == 1.0
    assert len(done["segments"]) == 2
    assert done["report"]["tracks"], "the redaction found the face"

    response = client.get(f"/api/cameras/exports/{made['id']}/file", headers=operator)
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(response.content)
    frames = frames_of(clip)
    assert len(frames) == 36  # the second and third segments: the range, in whole segments
    original, (x1, y1, x2, y2) = astronaut_scene()
    for frame in (frames[0], frames[-1]):
        assert np.abs(frame[y1:y2, x1:x2].astype(int) - original[y1:y2, x1:x2]).mean() > 20
        assert np.abs(frame[:150, 350:].astype(int) - original[:150, 350:]).mean() < 8

    with runtime.sessions() as db:
        actions = {
            e.action: e
            for e in db.scalars(select(AuditEntry).where(AuditEntry.record_type == "camera_export"))
        }
    assert set(actions) == {
        "camera.clip.requested",
        "camera.clip.exported",
        "camera.clip.downloaded",
    }
    for entry in (actions["camera.clip.requested"], actions["camera.clip.downloaded"]):
        assert (entry.purpose, entry.case_number) == (
            "evidence for the prosecutor",
            "HKI-2026-4211",
        )
    assert done["sha256"] in actions["camera.clip.downloaded"].details


def test_exports_need_a_case_recordings_and_the_permission(
    client: TestClient,
    runtime: Runtime,
    fire: Crew,
    operator: Headers,
    frozen_clock: Clock,
    tmp_path: Path,
) -> None:
    camera = add_camera(client, fire.supervisor, "/srv/a.mp4", recording_mode="continuous")
    asked = {
        "starts_at": (frozen_clock.now - timedelta(hours=1)).isoformat(),
        "ends_at": frozen_clock.now.isoformat(),
    }
    url = f"/api/cameras/{camera['id']}/exports"
    assert client.post(url, json=asked, headers=operator).status_code == 409  # nothing recorded
    no_case = {k: v for k, v in operator.items() if k != "X-Signalfire-Case"}
    assert client.post(url, json=asked, headers=no_case).status_code == 422
    too_long = {**asked, "starts_at": (frozen_clock.now - timedelta(hours=2)).isoformat()}
    assert client.post(url, json=too_long, headers=operator).status_code == 422
    dispatcher = {**fire.dispatcher, **{k: v for k, v in operator.items() if k.startswith("X-")}}
    assert client.post(url, json=asked, headers=dispatcher).status_code == 403


def test_an_export_cut_off_by_a_restart_is_marked_failed(
    client: TestClient, runtime: Runtime, fire: Crew, operator: Headers, frozen_clock: Clock
) -> None:
    camera = add_camera(client, fire.supervisor, "/srv/a.mp4")
    with transaction(runtime.sessions) as db:
        export = ClipExport(
            camera_id=camera["id"],
            agency_id=fire.agency_id,
            starts_at=frozen_clock.now,
            ends_at=frozen_clock.now,
            purpose="p",
            case_number="C-1",
            created_at=frozen_clock.now,
            status="running",
            progress=0.4,
            segments=[],
        )
        db.add(export)
        db.flush()
        export_id = export.id
    url = f"/api/cameras/exports/{export_id}"
    retention.purge_expired(runtime)
    assert ok(client.get(url, headers=operator))["status"] == "running"
    frozen_clock.advance(hours=7)
    retention.purge_expired(runtime)
    after = ok(client.get(url, headers=operator))
    assert after["status"] == "failed"
    assert "interrupted" in after["error"]
