"""Local worker processes under the supervisor: broken sources, a killed worker, alerts."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from signalfire.cameras.workers.local_pool import LocalPool
from signalfire.cameras.workers.supervisor import Supervisor
from signalfire.core.runtime import Runtime
from tests.cameras.media import astronaut_scene, decode_jpeg
from tests.cameras.scenes import UNREACHABLE, broken_video, crossing_video
from tests.cameras.support import add_camera, wait_for
from tests.conftest import World
from tests.units import support
from tests.units.support import Crew, Json, ok


@pytest.fixture
def fire(world: World) -> Crew:
    return support.crew(world, "FIRE")


class Running:
    """A supervisor over a local pool, working in a thread."""

    def __init__(self, runtime: Runtime, workers: int) -> None:
        self.pool = LocalPool(workers)
        self.supervisor = Supervisor(runtime, self.pool)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.supervisor.run, args=(self.stop,))
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        self.pool.close()


@pytest.fixture
def one_worker(runtime: Runtime) -> Iterator[Running]:
    running = Running(runtime, workers=1)
    yield running
    running.close()


def health(client: TestClient, crew: Crew, camera: Json) -> Json:
    result: Json = ok(client.get(f"/api/cameras/{camera['id']}", headers=crew.supervisor))["health"]
    return result


def events(client: TestClient, crew: Crew, camera: Json) -> list[Json]:
    result: list[Json] = ok(
        client.get(f"/api/cameras/{camera['id']}/events", headers=crew.supervisor)
    )
    return result


def test_broken_sources_go_offline_and_the_same_worker_serves_a_healthy_camera(
    client: TestClient, fire: Crew, one_worker: Running, tmp_path: Path
) -> None:
    broken = add_camera(client, fire.supervisor, str(broken_video(tmp_path)), name="Broken")
    unreachable = add_camera(client, fire.supervisor, UNREACHABLE, name="Unreachable")
    wait_for(lambda: health(client, fire, broken)["state"] == "offline")
    wait_for(lambda: health(client, fire, unreachable)["state"] == "offline")
    assert "broken.mp4" in health(client, fire, broken)["last_error"]
    assert "cannot open" in health(client, fire, unreachable)["last_error"]
    assert health(client, fire, unreachable)["retry_at"] is not None
    pid = one_worker.pool.pids[0]

    healthy = add_camera(client, fire.supervisor, str(crossing_video(tmp_path)), name="Gate")
    seen = wait_for(lambda: events(client, fire, healthy))
    assert one_worker.pool.pids == [pid]
    assert one_worker.pool.restarts == 0
    assert [(e["rule"], e["kind"]) for e in seen] == [("gate", "line_crossing")]
    assert str(pid) in health(client, fire, healthy)["worker"]
    failing = wait_for(
        lambda: (
            health(client, fire, unreachable)["failures"] >= 3 and health(client, fire, unreachable)
        )
    )
    assert failing["state"] == "offline"


def test_an_event_becomes_an_alert_with_the_face_blurred_and_can_be_promoted(
    client: TestClient, fire: Crew, one_worker: Running, tmp_path: Path
) -> None:
    camera = add_camera(client, fire.supervisor, str(crossing_video(tmp_path)))
    event = wait_for(lambda: events(client, fire, camera))[0]
    assert event["has_snapshot"]
    assert event["boxes"][0][1] > 350
    alerts = ok(client.get("/api/alerts", headers=fire.dispatcher))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["id"] == event["alert_id"]
    assert (alert["source"], alert["kind"], alert["source_ref"]) == (
        "camera",
        "line_crossing",
        f"camera-{camera['id']}",
    )
    assert (alert["lat"], alert["lon"]) == (camera["lat"], camera["lon"])
    assert camera["name"] in alert["title"]

    response = client.get(f"/api/cameras/events/{event['id']}/snapshot", headers=fire.supervisor)
    assert response.headers["content-type"] == "image/jpeg"
    picture = decode_jpeg(response.content)
    original, (x1, y1, x2, y2) = astronaut_scene()
    face_change = abs(picture[y1:y2, x1:x2].astype(int) - original[y1:y2, x1:x2]).mean()
    elsewhere = abs(picture[:150, 350:].astype(int) - original[:150, 350:]).mean()
    assert face_change > 20
    assert elsewhere < 6
    latest = wait_for(
        lambda: client.get(f"/api/cameras/{camera['id']}/snapshot", headers=fire.supervisor)
    )
    latest_picture = decode_jpeg(latest.content)
    assert abs(latest_picture[y1:y2, x1:x2].astype(int) - original[y1:y2, x1:x2]).mean() > 20

    incident = ok(
        client.post(
            f"/api/alerts/{alert['id']}/promote",
            json={"nature_code": "LAW-SUSPICIOUS"},
            headers=fire.dispatcher,
        ),
        201,
    )
    assert (incident["lat"], incident["lon"]) == (camera["lat"], camera["lon"])


def test_a_killed_worker_is_restarted_and_its_cameras_picked_up_again(
    client: TestClient, fire: Crew, one_worker: Running, tmp_path: Path
) -> None:
    camera = add_camera(client, fire.supervisor, str(crossing_video(tmp_path)))
    wait_for(lambda: events(client, fire, camera))
    first_pid = one_worker.pool.pids[0]
    assert first_pid is not None
    os.kill(first_pid, signal.SIGKILL)
    wait_for(lambda: one_worker.pool.restarts == 1)
    second_pid = one_worker.pool.pids[0]
    assert second_pid != first_pid
    # The restarted worker plays the camera's file again: a second crossing, from it.
    wait_for(lambda: len(events(client, fire, camera)) == 2)
    wait_for(lambda: str(second_pid) in (health(client, fire, camera)["worker"] or ""))
