"""The camera registry over the API: agency-scoped CRUD, refusals by field, permissions."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from signalfire.core.auth.permissions import Role
from tests.cameras.support import LINE_RULE, add_camera, camera_body
from tests.conftest import Clock, World, bearer
from tests.units import support
from tests.units.support import Crew, Headers, ok


@pytest.fixture
def fire(world: World, frozen_clock: Clock) -> Crew:
    return support.crew(world, "FIRE")


@pytest.fixture
def operator(world: World, fire: Crew) -> Headers:
    user = world.user("fire.video", fire.agency, [Role.VIDEO_OPERATOR], password=None)
    return bearer(world.token(user))


def test_a_camera_is_added_read_changed_and_removed(
    client: TestClient, fire: Crew, operator: Headers
) -> None:
    made = add_camera(
        client, fire.supervisor, "rtsp://viewer:s3cret@10.1.2.3:554/live", recording_mode="event"
    )
    assert made["source"] == "rtsp://viewer:***@10.1.2.3:554/live"
    assert made["health"]["state"] == "unknown"
    assert made["analysis"]["rules"][0]["name"] == "gate"
    assert made["analysis"]["fps"] == 10
    assert (made["heading_deg"], made["fov_deg"], made["recording_mode"]) == (90, 70, "event")
    listed = ok(client.get("/api/cameras", headers=operator))
    assert [c["id"] for c in listed] == [made["id"]]
    changed = ok(
        client.patch(
            f"/api/cameras/{made['id']}",
            json={"heading_deg": 180, "retention_days": 30, "enabled": False},
            headers=fire.supervisor,
        )
    )
    assert (changed["heading_deg"], changed["retention_days"], changed["enabled"]) == (
        180,
        30,
        False,
    )
    assert changed["source"] == made["source"]
    assert client.delete(f"/api/cameras/{made['id']}", headers=fire.supervisor).status_code == 204
    assert client.get(f"/api/cameras/{made['id']}", headers=operator).status_code == 404


def test_other_agencies_see_no_cameras_of_ours(
    client: TestClient, fire: Crew, world: World
) -> None:
    made = add_camera(client, fire.supervisor, "/srv/video/a.mp4")
    police = support.crew(world, "POLICE", "police")
    assert ok(client.get("/api/cameras", headers=police.supervisor)) == []
    for response in (
        client.get(f"/api/cameras/{made['id']}", headers=police.supervisor),
        client.patch(f"/api/cameras/{made['id']}", json={"fov_deg": 10}, headers=police.supervisor),
        client.delete(f"/api/cameras/{made['id']}", headers=police.supervisor),
        client.get(f"/api/cameras/{made['id']}/snapshot", headers=police.supervisor),
    ):
        assert response.status_code == 404
    ours = add_camera(client, police.supervisor, "/srv/video/a.mp4")  # same name, other agency
    assert ours["agency_id"] == police.agency_id


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"source": "ftp://cam/1"}, "source"),
        ({"source": "relative/path.mp4"}, "source"),
        ({"source": "rtsp:///nohost"}, "source"),
        ({"lat": 91}, "lat"),
        ({"heading_deg": 360}, "heading_deg"),
        ({"fov_deg": 0}, "fov_deg"),
        ({"recording_mode": "sometimes"}, "recording_mode"),
        ({"retention_days": 0}, "retention_days"),
        ({"analysis": {"fps": 0}}, "fps"),
        ({"analysis": {"rules": [{**LINE_RULE, "a": [0.5, 0.5], "b": [0.5, 0.5]}]}}, "line"),
        ({"analysis": {"rules": [{**LINE_RULE, "a": [1.5, 0]}]}}, "a"),
        ({"analysis": {"rules": [{"type": "face_match", "name": "x"}]}}, "rules"),
        ({"analysis": {"detector": {"kind": "face_recognition"}}}, "kind"),
        ({"watch_list": ["someone"]}, "watch_list"),
    ],
)
def test_bad_cameras_are_refused_naming_the_field(
    client: TestClient, fire: Crew, change: dict[str, object], field: str
) -> None:
    response = client.post(
        "/api/cameras", json={**camera_body("/srv/a.mp4"), **change}, headers=fire.supervisor
    )
    assert response.status_code == 422, response.text
    named = " ".join(f"{e['field']} {e.get('message', '')}" for e in response.json()["errors"])
    assert field in named
    assert ok(client.get("/api/cameras", headers=fire.supervisor)) == []


def test_duplicate_names_conflict_and_roles_are_enforced(
    client: TestClient, fire: Crew, operator: Headers
) -> None:
    made = add_camera(client, fire.supervisor, "/srv/a.mp4")
    again = client.post("/api/cameras", json=camera_body("/srv/b.mp4"), headers=fire.supervisor)
    assert again.status_code == 409
    other = add_camera(client, fire.supervisor, "/srv/b.mp4", name="Platform 2")
    rename = client.patch(
        f"/api/cameras/{other['id']}", json={"name": made["name"]}, headers=fire.supervisor
    )
    assert rename.status_code == 409
    nulled = client.patch(
        f"/api/cameras/{other['id']}", json={"lat": None}, headers=fire.supervisor
    )
    assert nulled.status_code == 422
    assert (
        client.post(
            "/api/cameras", json=camera_body("/x.mp4", name="Op"), headers=operator
        ).status_code
        == 403
    )
    assert client.get("/api/cameras", headers=fire.dispatcher).status_code == 403
    assert client.get(f"/api/cameras/{made['id']}/snapshot", headers=operator).status_code == 404


@pytest.mark.parametrize(("field", "value"), [("lat", True), ("lon", False), ("name", "Gate\x00")])
def test_a_camera_with_bad_coordinates_or_text_is_refused(
    client: TestClient, fire: Crew, field: str, value: object
) -> None:
    body = {**camera_body("/x.mp4"), field: value}
    response = client.post("/api/cameras", json=body, headers=fire.supervisor)
    assert response.status_code == 422, response.text
    assert ok(client.get("/api/cameras", headers=fire.supervisor)) == []


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_recordings_refuse_times_out_of_range(
    client: TestClient, fire: Crew, operator: Headers, value: str
) -> None:
    camera = add_camera(client, fire.supervisor, "/x.mp4")
    for since, until in ((value, "2026-12-07T10:00:00Z"), ("2026-12-07T10:00:00Z", value)):
        response = client.get(
            f"/api/cameras/{camera['id']}/recordings",
            params={"since": since, "until": until},
            headers=operator,
        )
        assert response.status_code == 422, response.text
        assert "1970-01-01 and 2200-01-01" in response.json()["detail"]
