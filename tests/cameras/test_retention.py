"""Retention per camera, evidence holds that exempt footage (audited), event-mode footage."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from signalfire.cameras.models import Segment
from signalfire.cameras.recordings import retention, storage
from signalfire.cameras.workers import ingest
from signalfire.cameras.workers.messages import RuleFiredReport
from signalfire.core.audit.models import AuditEntry
from signalfire.core.auth.permissions import Role
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime
from tests.cameras.media import moving_square, write_video
from tests.cameras.recorded import store_segments
from tests.cameras.support import add_camera
from tests.conftest import Clock, World, bearer
from tests.units import support
from tests.units.support import Crew, Headers, Json, ok


@pytest.fixture
def fire(world: World, frozen_clock: Clock) -> Crew:
    return support.crew(world, "FIRE")


@pytest.fixture
def operator(world: World, fire: Crew) -> Headers:
    user = world.user("fire.video", fire.agency, [Role.VIDEO_OPERATOR], password=None)
    return bearer(world.token(user))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_video(tmp_path / "src.mp4", 60, moving_square(frames=60), fps=10, gop=10)


def stored(runtime: Runtime, camera_id: int) -> dict[int, Path]:
    with runtime.sessions() as db:
        rows = db.scalars(select(Segment).where(Segment.camera_id == camera_id))
        return {s.id: storage.absolute(runtime.settings.data_dir, s.path) for s in rows}


def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    with runtime.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def continuous(client: TestClient, fire: Crew, **extra: object) -> Json:
    return add_camera(
        client, fire.supervisor, "/srv/video/a.mp4", recording_mode="continuous", **extra
    )


def test_retention_deletes_old_segments_but_not_held_ones(
    client: TestClient,
    runtime: Runtime,
    fire: Crew,
    operator: Headers,
    frozen_clock: Clock,
    source: Path,
) -> None:
    camera = continuous(client, fire, retention_days=2)
    now = frozen_clock.now
    old = now - timedelta(days=3)
    ids = store_segments(
        runtime, camera["id"], source, [old, old + timedelta(seconds=2), now - timedelta(hours=1)]
    )
    files = stored(runtime, camera["id"])
    hold = ok(
        client.post(
            f"/api/cameras/{camera['id']}/holds",
            json={
                "starts_at": (old + timedelta(seconds=2.5)).isoformat(),
                "ends_at": (old + timedelta(seconds=3)).isoformat(),
                "reason": "assault on platform 2",
                "case_number": "HKI-2026-4211",
            },
            headers=operator,
        ),
        201,
    )
    listing = ok(
        client.get(
            f"/api/cameras/{camera['id']}/recordings",
            params={"since": (old - timedelta(minutes=1)).isoformat(), "until": now.isoformat()},
            headers=operator,
        )
    )
    assert [(s["id"], s["held"]) for s in listing] == [
        (ids[0], False),
        (ids[1], True),
        (ids[2], False),
    ]

    assert retention.purge_expired(runtime) == 1
    assert set(stored(runtime, camera["id"])) == {ids[1], ids[2]}
    assert not files[ids[0]].exists()
    assert files[ids[1]].exists()

    released = ok(
        client.post(
            f"/api/cameras/holds/{hold['id']}/release",
            json={"reason": "case closed"},
            headers=operator,
        )
    )
    assert released["released_at"] is not None
    again = client.post(
        f"/api/cameras/holds/{hold['id']}/release", json={"reason": "twice"}, headers=operator
    )
    assert again.status_code == 409
    assert retention.purge_expired(runtime) == 1
    assert set(stored(runtime, camera["id"])) == {ids[2]}

    operator_id = ok(client.get("/api/auth/me", headers=operator))["user"]["id"]
    (placed,) = audit(runtime, "camera.hold.placed")
    assert (placed.actor_user_id, placed.case_number, placed.purpose) == (
        operator_id,
        "HKI-2026-4211",
        "assault on platform 2",
    )
    (ended,) = audit(runtime, "camera.hold.released")
    assert (ended.actor_user_id, ended.case_number, ended.purpose) == (
        operator_id,
        "HKI-2026-4211",
        "case closed",
    )
    assert len(audit(runtime, "camera.recordings.purged")) == 2


def test_a_camera_with_held_evidence_cannot_be_removed(
    client: TestClient, fire: Crew, operator: Headers, frozen_clock: Clock
) -> None:
    camera = continuous(client, fire)
    body = {
        "starts_at": frozen_clock.now.isoformat(),
        "ends_at": (frozen_clock.now + timedelta(minutes=5)).isoformat(),
        "reason": "r",
        "case_number": "C-1",
    }
    ok(client.post(f"/api/cameras/{camera['id']}/holds", json=body, headers=operator), 201)
    assert client.delete(f"/api/cameras/{camera['id']}", headers=fire.supervisor).status_code == 409
    backwards = {**body, "ends_at": body["starts_at"]}
    refused = client.post(f"/api/cameras/{camera['id']}/holds", json=backwards, headers=operator)
    assert refused.status_code == 422
    no_case = {k: v for k, v in body.items() if k != "case_number"}
    assert (
        client.post(
            f"/api/cameras/{camera['id']}/holds", json=no_case, headers=operator
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/cameras/{camera['id']}/holds", json=body, headers=fire.dispatcher
        ).status_code
        == 403
    )


def test_event_mode_keeps_only_footage_near_events(
    client: TestClient, runtime: Runtime, fire: Crew, frozen_clock: Clock, source: Path
) -> None:
    camera = add_camera(client, fire.supervisor, "/srv/video/a.mp4", recording_mode="event")
    base = frozen_clock.now - timedelta(minutes=10)
    starts = [base, base + timedelta(minutes=2), base + timedelta(minutes=4)]
    ids = store_segments(runtime, camera["id"], source, starts)
    with transaction(runtime.sessions) as db:
        ingest.record_camera_event(
            db,
            runtime.settings.data_dir,
            RuleFiredReport(
                camera_id=camera["id"],
                rule="gate",
                kind="line_crossing",
                frame_time=(starts[1] + timedelta(seconds=1)).timestamp(),
                pts_s=1.0,
                track_id=1,
                boxes=[[1, 2, 3, 4]],
                direction=None,
                detail="",
            ),
        )
    assert retention.purge_expired(runtime) == 2
    assert set(stored(runtime, camera["id"])) == {ids[1]}
