"""Fixtures: a migrated database per test (SQLite always, PostgreSQL when configured),
the runtime and API client on it, and helpers to make agencies, users and sign-ins."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from signalfire.accounts import service, tokens
from signalfire.accounts.models import Agency, User
from signalfire.accounts.schemas import AgencyCreate, TokenCreate, UserCreate
from signalfire.api.app import create_app
from signalfire.core import clock, migrate
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.config import load_settings
from signalfire.core.db import Base, make_engine, transaction
from signalfire.core.runtime import Runtime, build_runtime
from tests.nats_process import running_nats

PG_URL = os.environ.get("SIGNALFIRE_TEST_DATABASE_URL")
PG_UNSET = "SIGNALFIRE_TEST_DATABASE_URL is not set"
#: The databases every integration test runs on; PostgreSQL is skipped (and says why)
#: when no server is configured, never left out of the run.
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql", id="postgresql", marks=pytest.mark.skipif(PG_URL is None, reason=PG_UNSET)
    ),
]
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "signalfire.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@contextmanager
def throwaway_postgres(prefix: str, server: str | None = PG_URL) -> Iterator[str]:
    """URL of a new, empty PostgreSQL database beside ``server``'s (by default the
    configured one), dropped after."""
    if server is None:
        pytest.skip(PG_UNSET)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL database, migrated once, beside the configured one."""
    with throwaway_postgres("signalfire_test") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER ALL"))
        connection.execute(
            text("INSERT INTO audit_head (id, seq, entry_hash) VALUES (1, 0, :h)"),
            {"h": "0" * 64},
        )
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty, migrated database for this test."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        _empty_postgres(url)
        return url
    path = tmp_path / "signalfire.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def road_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One road-graph cache for the whole run (the graph takes a second to build)."""
    return tmp_path_factory.mktemp("roads")


def runtime_on(database_url: str, data_dir: Path, road_cache: Path, **settings: Any) -> Runtime:
    """A runtime on ``database_url`` as the tests build them (roads from the shared cache,
    not preloaded), with more ``settings``: the fixture's, a second replica's, a restart's."""
    return build_runtime(
        load_settings(
            database={"url": database_url},
            data_dir=data_dir,
            geo={"cache_dir": road_cache, "preload": False},
            **settings,
        )
    )


@pytest.fixture
def runtime(database_url: str, road_cache: Path, tmp_path: Path) -> Iterator[Runtime]:
    """The platform wired to the test database."""
    rt = runtime_on(database_url, tmp_path, road_cache)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def nats_url(tmp_path: Path) -> Iterator[str]:
    with running_nats(tmp_path) as url:
        yield url


@pytest.fixture
def replicas(
    database_url: str, nats_url: str, road_cache: Path, tmp_path: Path
) -> Iterator[Callable[[str], Runtime]]:
    """Build runtimes ("replicas" or restarts) on one database and one NATS server."""
    built: list[Runtime] = []

    def replica(name: str) -> Runtime:
        runtime = runtime_on(database_url, tmp_path / name, road_cache, bus={"url": nats_url})
        built.append(runtime)
        return runtime

    yield replica
    for runtime in built:
        runtime.close()
        runtime.engine.dispose()


@pytest.fixture
def db(runtime: Runtime) -> Iterator[Session]:
    """A session for arranging and inspecting; commit explicitly."""
    with runtime.sessions() as session:
        yield session


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


class Clock:
    """A hand-moved clock installed as :mod:`signalfire.core.clock`'s source."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def frozen_clock() -> Iterator[Clock]:
    fake = Clock()
    previous = clock.set_source(fake)
    yield fake
    clock.set_source(previous)


@dataclass
class World:
    """Arranges agencies and users through the real services."""

    runtime: Runtime

    def agency(self, code: str = "HKI-FIRE", kind: str = "fire") -> Agency:
        with transaction(self.runtime.sessions) as session:
            return service.create_agency(
                db=session,
                actor=Actor.operator(),
                data=AgencyCreate(code=code, name=f"{code} agency", kind=kind),
            )

    def user(
        self,
        username: str,
        agency: Agency,
        roles: list[Role],
        *,
        password: str | None = PASSWORD,
    ) -> User:
        with transaction(self.runtime.sessions) as session:
            return service.create_user(
                db=session,
                actor=Actor.operator(),
                data=UserCreate(
                    username=username,
                    display_name=username,
                    password=SecretStr(password) if password else None,
                    roles=roles,
                    agency_id=agency.id,
                ),
            )

    def token(self, user: User) -> str:
        with transaction(self.runtime.sessions) as session:
            _record, token = tokens.create(
                db=session, actor=Actor.operator(), data=TokenCreate(user_id=user.id, name="t")
            )
        return token


@pytest.fixture
def world(runtime: Runtime) -> World:
    return World(runtime)


def bearer(token: str) -> dict[str, str]:
    """``Authorization`` header for ``token``."""
    return {"Authorization": f"Bearer {token}"}
