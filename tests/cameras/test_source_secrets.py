"""Camera credentials never leave the server: every place a URL can hold one is masked
in the camera's ``source`` and in its health's ``last_error``; a bad port is a 422."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from signalfire.cameras.registry.sources import mask, mask_text
from signalfire.cameras.workers import ingest
from signalfire.cameras.workers.messages import HealthReport
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime
from signalfire.video.decode import SourceError, open_source
from tests.cameras.support import add_camera, camera_body
from tests.conftest import Clock, World
from tests.units import support
from tests.units.support import Crew, ok

SECRET = "Zq7secret"


@pytest.fixture
def fire(world: World, frozen_clock: Clock) -> Crew:
    return support.crew(world, "FIRE")


@pytest.mark.parametrize(
    "url",
    [
        f"rtsp://admin:{SECRET}@10.0.0.5/live",
        f"rtsp://{SECRET}@10.0.0.5/live",
        f"rtsp://10.0.0.5/live?password={SECRET}",
        f"rtsp://10.0.0.5/live?channel=1&PWD={SECRET}&subtype=0",
        f"rtsp://10.0.0.5/live?pass={SECRET}",
        f"https://cam.example/s.m3u8?access_token={SECRET}",
        f"https://cam.example/s.m3u8?X-Amz-Signature={SECRET}&X-Amz-Credential=a",
        f"http://cam/mjpg?user=admin&auth={SECRET}",
        f"http://cam/mjpg?api%5Fkey={SECRET}",
        f"http://cam/mjpg?{SECRET}",
        f"http://cam/mjpg#{SECRET}",
        f"rtsp://dvr:554/user=admin_password={SECRET}_channel=1_stream=0.sdp",
        f"rtsp://u:{SECRET}@[fe80::1",  # unparseable
        f"rtsp://u:{SECRET}@10.0.0.5:99999/s",  # port out of range
    ],
)
def test_mask_hides_every_credential_and_never_raises(url: str) -> None:
    shown = mask(url)
    assert SECRET not in shown
    assert mask(shown) == shown
    assert SECRET not in mask_text(f"video source {url}: cannot open: Connection refused")


def test_mask_keeps_what_an_admin_needs_to_recognise_the_camera() -> None:
    shown = mask("rtsp://viewer:pw@10.0.0.5:554/cam/realmonitor?channel=1&subtype=0")
    assert shown == "rtsp://viewer:***@10.0.0.5:554/cam/realmonitor?channel=1&subtype=0"
    assert mask_text("failed: rtsp://a:b@h/s.") == "failed: rtsp://a:***@h/s."


@pytest.mark.parametrize(
    "source",
    [
        f"rtsp://10.1.2.3/live?password={SECRET}",
        f"rtsp://{SECRET}@10.1.2.3/live",
        f"rtsp://10.1.2.3/live?channel=1&token={SECRET}#{SECRET}",
    ],
)
def test_the_api_shows_no_credential_of_a_source(
    client: TestClient, fire: Crew, source: str
) -> None:
    made = add_camera(client, fire.supervisor, source)
    assert SECRET not in str(made)
    listed = ok(client.get("/api/cameras", headers=fire.supervisor))
    assert SECRET not in str(listed)
    assert "10.1.2.3" in listed[0]["source"]


def test_an_error_that_repeats_the_source_is_masked_in_health(
    client: TestClient, fire: Crew, runtime: Runtime
) -> None:
    source = f"rtsp://{SECRET}@10.1.2.3/live?key={SECRET}"
    made = add_camera(client, fire.supervisor, source)
    report = HealthReport(
        camera_id=made["id"],
        state="offline",
        at=time.time(),
        last_frame_at=None,
        error=f"OpenCV: could not open {source}: Connection refused",
        failures=1,
        retry_in_s=2.0,
        worker="w1",
    )
    with transaction(runtime.sessions) as db:
        ingest.record_health(db, report)
    health = ok(client.get(f"/api/cameras/{made['id']}", headers=fire.supervisor))["health"]
    assert health["last_error"] is not None
    assert "Connection refused" in health["last_error"]
    assert SECRET not in health["last_error"]


@pytest.mark.parametrize(
    "source",
    [
        "rtsp://viewer:pw@127.0.0.1:99999/s",
        "rtsp://viewer:pw@127.0.0.1:0/s",
        "rtsp://viewer:pw@127.0.0.1:port/s",
        "rtsp://viewer:pw@[fe80::1/s",
        "gopher://127.0.0.1/s",
    ],
)
def test_a_bad_source_is_a_422_naming_the_field(
    client: TestClient, fire: Crew, source: str
) -> None:
    response = client.post("/api/cameras", json=camera_body(source), headers=fire.supervisor)
    assert response.status_code == 422, response.text
    assert any(e["field"] == "body.source" for e in response.json()["errors"])
    assert "pw@" not in response.text


def test_a_stream_that_cannot_be_opened_reports_no_credential() -> None:
    """The decoder's own error (what a worker reports as ``last_error``) hides a
    token-only userinfo and query keys too."""
    source = f"rtsp://{SECRET}@127.0.0.1:9/live?key={SECRET}"
    with pytest.raises(SourceError) as failure:
        open_source(source, timeout_s=2)
    assert "cannot open" in str(failure.value)
    assert SECRET not in str(failure.value)
