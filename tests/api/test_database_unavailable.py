"""A database that cannot take requests (unreachable, or a standby that only reads during
a failover) is a 503 with Retry-After naming why, not a 500: clients try again and
HAProxy's checks send them to a replica that works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from signalfire.api.app import create_app
from signalfire.core.auth.permissions import Role
from signalfire.core.config import load_settings
from signalfire.core.runtime import Runtime, build_runtime
from tests.conftest import World, bearer
from tests.demo_process import free_port

CALL = {
    "nature_code": "FIRE-STRUCTURE",
    "location": {"lat": 60.1695, "lon": 24.9525, "source": "manual"},
}


def served(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime), raise_server_exceptions=False)


def test_an_unreachable_database_is_a_503(tmp_path: Path, road_cache: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere?connect_timeout=2"
    runtime = build_runtime(
        load_settings(database={"url": url}, data_dir=tmp_path, geo={"cache_dir": road_cache})
    )
    with served(runtime) as client:
        for method, path in (("GET", "/api/incidents"), ("POST", "/api/incidents")):
            answer = client.request(method, path, json=CALL, headers=bearer("sft_x"))
            assert answer.status_code == 503, (method, answer.text)
            assert answer.headers["Retry-After"] == "1"
            assert answer.json()["detail"] == "the database cannot be reached; try again"
        assert client.get("/readyz").status_code == 503
    runtime.engine.dispose()


@pytest.fixture
def read_only(database_url: str, runtime: Runtime, tmp_path: Path) -> Iterator[tuple[Runtime, str]]:
    """A second runtime on the same PostgreSQL database whose sessions may only read (as
    on a standby), and the token of a dispatcher made through the writable one."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a read-only standby is PostgreSQL's")
    world = World(runtime)
    token = world.token(world.user("ro.disp", world.agency("RO"), [Role.DISPATCHER]))
    url = make_url(database_url).update_query_dict(
        {"options": "-c default_transaction_read_only=on"}
    )
    standby = build_runtime(
        load_settings(
            database={"url": url.render_as_string(hide_password=False)},
            data_dir=tmp_path / "standby",
            geo={"preload": False},
        )
    )
    yield standby, token
    standby.engine.dispose()


def test_a_database_that_only_reads_is_a_503(read_only: tuple[Runtime, str]) -> None:
    standby, token = read_only
    with served(standby) as client:
        answer = client.post("/api/incidents", json=CALL, headers=bearer(token))
    assert answer.status_code == 503, answer.text
    assert "only reads now" in answer.json()["detail"]
