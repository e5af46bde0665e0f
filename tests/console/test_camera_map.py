"""Cameras on the console map: a marker and a wedge that points where the camera looks,
for those allowed to see cameras (the demo's supervisor), in Debian's Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.console.test_console import CHROMIUM, CHROMIUM_ARGS, Watch, shot
from tests.demo_process import running_demo


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    settings = {
        "SIGNALFIRE_SIM__CALLS_PER_HOUR": "0",
        "SIGNALFIRE_LOG__LEVEL": "WARNING",
        "SIGNALFIRE_VIDEO__WORKERS": "1",
    }
    with running_demo(tmp_path_factory.mktemp("camera-demo"), settings=settings) as demo:
        yield demo.base, demo.password


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def test_a_camera_is_drawn_looking_where_it_looks(
    browser: Browser, server: tuple[str, str]
) -> None:
    base, password = server
    login = httpx.post(
        f"{base}/api/auth/login", json={"username": "supervisor", "password": password}
    )
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    camera = {
        "name": "Esplanadi east",
        "source": "rtsp://127.0.0.1:9/live",
        "lat": 60.1675,
        "lon": 24.944,
        "heading_deg": 90,
        "fov_deg": 60,
        "recording_mode": "off",
    }
    made = httpx.post(f"{base}/api/cameras", json=camera, headers=headers)
    assert made.status_code == 201, made.text

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    watch = Watch(page)
    page.goto(base)
    page.get_by_label("Username").fill("supervisor")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    marker = page.locator(f"path.camera-{made.json()['id']}")
    expect(marker).to_be_attached(timeout=15_000)
    wedge = page.locator("path.camera-fov")
    expect(wedge).to_have_count(1)
    marker.scroll_into_view_if_needed()
    spot = marker.bounding_box()
    seen = wedge.bounding_box()
    assert spot is not None
    assert seen is not None
    apex_x = spot["x"] + spot["width"] / 2
    apex_y = spot["y"] + spot["height"] / 2
    # Looking east: the wedge starts at the camera and opens to its right, around its row.
    assert abs(seen["x"] - apex_x) < 3
    assert seen["x"] + seen["width"] > apex_x + 20
    assert seen["y"] < apex_y < seen["y"] + seen["height"]
    shot(page, "10-camera-on-map")
    assert watch.errors == []
    assert watch.outside == []
