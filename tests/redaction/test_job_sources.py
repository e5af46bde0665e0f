"""A redaction job names its input by id: an upload or a finished camera export of the
caller's agency, never a server path (issue 26, findings 1, 2 and 4)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from signalfire.cameras.models import ClipExport
from signalfire.core import clock
from signalfire.core.auth.permissions import Role
from signalfire.core.config import load_settings
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime, build_runtime
from signalfire.redaction.models import RedactionJob
from tests.cameras.support import add_camera
from tests.conftest import World, bearer
from tests.redaction.support import grace_hopper, write_clip
from tests.units import support
from tests.units.support import Crew, Headers

WHY = {"X-Signalfire-Purpose": "release to court", "X-Signalfire-Case": "C-2026-118"}


@pytest.fixture
def runtime(database_url: str, road_cache: Path, tmp_path: Path) -> Iterator[Runtime]:
    """The platform on the test database; the server runs no camera workers."""
    rt = build_runtime(
        load_settings(
            database={"url": database_url},
            data_dir=tmp_path / "data",
            geo={"cache_dir": road_cache, "preload": False},
            video={"workers": 0},
        )
    )
    yield rt
    rt.engine.dispose()


@pytest.fixture
def police(world: World) -> Crew:
    return support.crew(world, "POLICE", kind="police")


@pytest.fixture
def fire(world: World) -> Crew:
    return support.crew(world, "FIRE")


def video_operator(world: World, crew: Crew) -> Headers:
    user = world.user(f"{crew.code.lower()}.video", crew.agency, [Role.VIDEO_OPERATOR])
    return {**bearer(world.token(user)), **WHY}


def finished_export(
    client: TestClient, runtime: Runtime, crew: Crew, file: bytes | None, tmp_path: Path
) -> int:
    """A done clip export of a new camera of ``crew`` whose file holds ``file`` (a real
    clip when None)."""
    camera = add_camera(client, crew.supervisor, "/srv/a.mp4")
    stored = f"exports/camera-{camera['id']}-{time.monotonic_ns()}.mp4"
    target = runtime.settings.data_dir / stored
    target.parent.mkdir(parents=True, exist_ok=True)
    if file is None:
        write_clip(target, grace_hopper(), lambda _: (10, 10), frames=5)
    else:
        target.write_bytes(file)
    now = clock.now()
    with transaction(runtime.sessions) as db:
        export = ClipExport(
            camera_id=camera["id"],
            agency_id=crew.agency_id,
            starts_at=now,
            ends_at=now,
            purpose="p",
            case_number="C-1",
            created_at=now,
            status="done",
            progress=1.0,
            segments=[],
            path=stored,
        )
        db.add(export)
        db.flush()
        export_id: int = export.id
    return export_id


def _wait(client: TestClient, job: str, headers: Headers) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/redactions/{job}", headers=headers).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"job {job} still {body['status']}")


def jobs_of(client: TestClient) -> int:
    """How many redaction jobs the server's database holds."""
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(RedactionJob)) or 0


def test_a_camera_export_of_ones_agency_is_redacted_by_id(
    client: TestClient, world: World, runtime: Runtime, police: Crew, tmp_path: Path
) -> None:
    operator = video_operator(world, police)
    export_id = finished_export(client, runtime, police, None, tmp_path)
    body = {"camera_export": export_id, "export": True}
    created = client.post("/api/redactions", json=body, headers=operator)
    assert created.status_code == 202, created.text
    done = _wait(client, created.json()["id"], operator)
    assert done["status"] == "done", done
    assert done["source"] == f"camera_export:{export_id}"


def test_another_agencys_export_is_not_found_and_starts_no_job(
    client: TestClient, world: World, runtime: Runtime, police: Crew, fire: Crew, tmp_path: Path
) -> None:
    """Finding 2: the FIRE video operator cannot reach a POLICE camera's footage."""
    fire_operator = video_operator(world, fire)
    export_id = finished_export(client, runtime, police, None, tmp_path)
    as_get = client.get(f"/api/cameras/exports/{export_id}", headers=fire_operator)
    assert as_get.status_code == 404
    refused = client.post(
        "/api/redactions", json={"camera_export": export_id, "export": True}, headers=fire_operator
    )
    assert refused.status_code == 404, refused.text
    assert refused.json()["detail"] == as_get.json()["detail"]
    missing = client.post("/api/redactions", json={"camera_export": 999999}, headers=fire_operator)
    assert missing.status_code == 404
    assert missing.json()["detail"] == refused.json()["detail"].replace(str(export_id), "999999")
    # the old free-form path (a camera's latest picture, the database) is no field at all
    for path in ("cameras/1/latest.jpg", "signalfire.db", "signalfire.db-shm"):
        named = client.post("/api/redactions", json={"path": path}, headers=fire_operator)
        assert named.status_code == 422, named.text
        assert "path" in named.json()["detail"]
    assert jobs_of(client) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"path": "a\u0000b"}, "path"),
        ({"path": "x" * 5000}, "path"),
        ({"clip": "x" * 500}, "clip"),
        ({"clip": "a\u0000b"}, "clip"),
        ({"clip": "../../signalfire"}, "clip"),
        ({"clip": "F" * 32}, "clip"),
        ({"camera_export": 2**70}, "camera_export"),
        ({"camera_export": 0}, "camera_export"),
        ({"camera_export": "../1"}, "camera_export"),
        ({}, "clip or camera_export"),
        ({"clip": "a" * 32, "camera_export": 1}, "clip or camera_export"),
    ],
)
def test_bad_sources_are_422_naming_the_field(
    client: TestClient, world: World, police: Crew, body: dict[str, Any], field: str
) -> None:
    """Finding 4: NUL bytes and over-long names were 500s; now the schema refuses them."""
    response = client.post("/api/redactions", json=body, headers=video_operator(world, police))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.json()["detail"]
    assert jobs_of(client) == 0


def test_errors_name_the_field_and_id_never_a_server_path(
    client: TestClient, world: World, runtime: Runtime, police: Crew, tmp_path: Path
) -> None:
    operator = video_operator(world, police)
    data_dir = str(runtime.settings.data_dir.resolve())
    broken = finished_export(client, runtime, police, b"\x00" * 4096, tmp_path)
    unknown_clip = "0" * 32
    answers = {
        "broken export": client.post(
            "/api/redactions", json={"camera_export": broken}, headers=operator
        ),
        "unknown clip": client.post(
            "/api/redactions", json={"clip": unknown_clip}, headers=operator
        ),
        "bad upload": client.post(
            "/api/redactions/clips", content=b"not a video" * 50, headers=operator
        ),
    }
    for what, response in answers.items():
        assert response.status_code in (404, 422), (what, response.text)
        assert data_dir not in response.text, (what, response.text)
        assert str(tmp_path) not in response.text, (what, response.text)
        assert ".bin" not in response.text, what
        assert "exports/" not in response.text, what
        assert "does not exist" not in response.text, (what, response.text)
    broken_body = answers["broken export"].json()
    assert broken_body["detail"].startswith(f"camera export {broken} is not a readable video")
    assert broken_body["field"] == "camera_export"
    assert answers["unknown clip"].json()["detail"] == f"no uploaded clip {unknown_clip}"
    assert "not a readable video" in answers["bad upload"].json()["detail"]
    assert jobs_of(client) == 0
