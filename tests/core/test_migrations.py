"""The migrations make exactly what the models describe, on SQLite and PostgreSQL, and
each of this round's migrations goes down and up again (one test for all of them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from signalfire.core import migrate
from signalfire.core.db import Base, make_engine
from tests.conftest import BACKENDS, throwaway_postgres

#: The tables each recent migration adds (a migration that only alters names none).
ADDED_BY = {
    "0012": {"road_closures"},
    "0013": {"event_outbox"},
    "0014": {"camera_leases"},
    "0015": {"redaction_jobs"},
    "0016": {"dna_profile_changes"},
}


@pytest.fixture(params=BACKENDS)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a new, empty database."""
    if request.param == "postgresql":
        with throwaway_postgres("signalfire_migrations") as url:
            engine = make_engine(url)
            yield engine
            engine.dispose()
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    yield engine
    engine.dispose()


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def tables(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_the_migrations_make_what_the_models_describe(empty: Engine) -> None:
    migrate.upgrade(empty)
    assert differences(empty) == []
    assert migrate.current_revision(empty) == migrate.head_revision()


def test_each_recent_migration_goes_down_and_up_again(empty: Engine) -> None:
    migrate.upgrade(empty)
    for revision in sorted(ADDED_BY, reverse=True):
        before = tables(empty)
        migrate.downgrade(empty, f"{int(revision) - 1:04d}")
        assert before - tables(empty) == ADDED_BY[revision], revision
    migrate.upgrade(empty)
    assert differences(empty) == []


def test_the_list_covers_every_migration_up_to_the_head() -> None:
    assert max(ADDED_BY) == migrate.head_revision()
