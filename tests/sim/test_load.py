"""Load mode against a real server: uvicorn on a free port, driven over HTTP only."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import numpy as np
import pytest
import uvicorn
from scipy.stats import kstest
from sqlalchemy import func, select
from typer.testing import CliRunner

from signalfire.api.app import create_app
from signalfire.cli import app
from signalfire.core.auth.permissions import Role
from signalfire.core.runtime import Runtime
from signalfire.geo.geocode import AddressRecord
from signalfire.incidents.models import Incident
from signalfire.sim.arrivals import DEFAULT_NATURE_MIX
from signalfire.sim.load import LoadError, LoadResult, Login, poisson_schedule, run_load
from tests.conftest import PASSWORD, World, bearer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(runtime: Runtime) -> Iterator[str]:
    """Base URL of the API served by uvicorn in a background thread."""
    port = free_port()
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not served.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    served.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def addresses(runtime: Runtime) -> list[AddressRecord]:
    return runtime.roads.geocoder().addresses


def dispatcher_token(world: World) -> str:
    agency = world.agency()
    return world.token(world.user("d.load", agency, [Role.DISPATCHER], password=None))


def incident_count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Incident)) or 0


def load(url: str, auth: str | Login, addresses: list[AddressRecord], **kw: float) -> LoadResult:
    rate, duration = kw.pop("rate", 10.0), kw.pop("duration", 0.5)
    # The server runs in a thread of this process: on a slow, busy machine it can stall
    # for longer than the CLI's 30 s default, which would turn an answer into a timeout.
    return asyncio.run(
        run_load(
            url=url,
            rate=rate,
            duration=duration,
            auth=auth,
            addresses=addresses,
            seed=3,
            timeout_s=120.0,
        )
    )


def test_every_created_incident_is_in_the_database(
    server: str, runtime: Runtime, world: World, addresses: list[AddressRecord]
) -> None:
    steps: list[tuple[int, int]] = []
    result = asyncio.run(
        run_load(
            url=server,
            rate=20.0,
            duration=2.0,
            auth=dispatcher_token(world),
            addresses=addresses,
            seed=3,
            concurrency=8,
            on_progress=lambda done, planned: steps.append((done, planned)),
        )
    )
    assert 15 <= result.sent <= 70  # Poisson(40): over 3.5 standard deviations either way
    assert result.created == result.sent == incident_count(runtime)
    assert result.errors == {}
    assert result.first_error is None
    assert len(result.latencies_ms) == result.sent
    assert all(latency > 0 for latency in result.latencies_ms)
    p50, p99 = result.latency_ms(50), result.latency_ms(99)
    assert p50 is not None
    assert p99 is not None
    assert 0 < p50 <= p99
    assert result.elapsed_s >= 2.0
    assert result.achieved_rate == pytest.approx(result.created / result.elapsed_s)
    assert steps[-1] == (result.sent, result.sent)
    assert len(steps) == result.sent
    with runtime.sessions() as session:
        natures = set(session.scalars(select(Incident.nature_code)))
    assert natures <= set(DEFAULT_NATURE_MIX)


def test_the_same_seed_posts_the_same_calls(
    server: str, runtime: Runtime, world: World, addresses: list[AddressRecord]
) -> None:
    token = dispatcher_token(world)
    first = load(server, token, addresses, rate=20.0)
    second = load(server, token, addresses, rate=20.0)
    assert first.created == second.created > 0
    with runtime.sessions() as session:
        rows = session.execute(
            select(Incident.nature_code, Incident.address).order_by(Incident.id)
        ).all()
    assert sorted(rows[: first.created]) == sorted(rows[first.created :])  # same calls


def test_a_username_and_password_sign_in_first(
    server: str, runtime: Runtime, world: World, addresses: list[AddressRecord]
) -> None:
    world.user("d.login", world.agency(), [Role.DISPATCHER])
    result = load(server, Login("d.login", PASSWORD), addresses)
    assert result.created == result.sent == incident_count(runtime) > 0


def test_a_wrong_password_or_a_required_second_factor_is_refused_clearly(
    server: str, world: World, addresses: list[AddressRecord]
) -> None:
    agency = world.agency()
    world.user("d.mfa", agency, [Role.DISPATCHER])
    with pytest.raises(LoadError, match=r"sign-in refused: 401.*invalid username or password"):
        load(server, Login("d.mfa", "not the password"), addresses)
    admin = world.token(world.user("admin", agency, [Role.ADMIN], password=None))
    policy = httpx.put(
        f"{server}/api/agencies/{agency.id}/mfa-policy",
        json={"required_roles": ["dispatcher"]},
        headers=bearer(admin),
    )
    assert policy.status_code == 200, policy.text
    with pytest.raises(LoadError, match=r"second factor.*--token"):
        load(server, Login("d.mfa", PASSWORD), addresses)


def test_a_wrong_token_counts_401s_and_creates_nothing(
    server: str, runtime: Runtime, world: World, addresses: list[AddressRecord]
) -> None:
    result = load(server, "sft_not-a-real-token", addresses)
    assert result.sent > 0
    assert result.created == 0 == incident_count(runtime)
    assert result.errors == {"401": result.sent}
    assert result.first_error is not None
    assert result.first_error.startswith("401 Authentication required: unknown or revoked")
    assert any(line.startswith("errors:   401 x ") for line in result.summary())


def test_an_unreachable_server_is_an_error_not_a_count(addresses: list[AddressRecord]) -> None:
    with pytest.raises(LoadError, match=r"cannot reach the server at http://127\.0\.0\.1"):
        load(f"http://127.0.0.1:{free_port()}", "sft_x", addresses)


def test_the_schedule_is_a_poisson_process() -> None:
    rate, duration = 50.0, 200.0
    offsets = poisson_schedule(rate, duration, np.random.default_rng(7))
    expected = rate * duration
    assert abs(len(offsets) - expected) < 4 * expected**0.5
    assert offsets[0] >= 0
    assert offsets[-1] < duration
    gaps = np.diff(offsets)
    assert np.all(gaps > 0)
    # Exponential gaps of mean 1/rate (Kolmogorov-Smirnov; seed fixed, level 1e-3).
    assert kstest(gaps, "expon", args=(0, 1 / rate)).pvalue > 1e-3


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, road_cache: Path) -> None:
    """The command reads the extract's addresses with the test road cache."""
    monkeypatch.setenv("SIGNALFIRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SIGNALFIRE_GEO__CACHE_DIR", str(road_cache))


@pytest.mark.usefixtures("cli_env")
def test_the_command_prints_a_summary(server: str, runtime: Runtime, world: World) -> None:
    token = dispatcher_token(world)
    args = ["sim", "load", "--rate", "10", "--duration", "0.5", "--url", server, "--token", token]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    created = incident_count(runtime)
    assert created > 0
    assert f"created:  {created} incidents (201)" in result.output
    assert "latency:  p50 " in result.output


@pytest.mark.usefixtures("cli_env")
def test_the_command_fails_when_every_request_fails(server: str) -> None:
    args = ["sim", "load", "--rate", "10", "--duration", "0.5", "--url", server, "--token", "sft_x"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "error: every request failed (first: 401" in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("cli_env")
def test_the_command_names_an_unreachable_server() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(
        app, ["sim", "load", "--rate", "5", "--url", url, "--token", "sft_x"]
    )
    assert result.exit_code == 1
    assert f"cannot reach the server at {url}" in result.output.replace("\n", " ")


def test_the_command_needs_exactly_one_way_to_sign_in() -> None:
    result = CliRunner().invoke(app, ["sim", "load", "--rate", "5"])
    assert result.exit_code == 2
    assert "--token or --username" in result.output
