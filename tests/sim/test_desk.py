"""The simulated desk dispatches the calls nobody handles, and lets people take over."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from signalfire import demo
from signalfire.accounts import sessions
from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.config import SimSettings
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime
from signalfire.dispatch import service as dispatch
from signalfire.incidents import service as incidents
from signalfire.sim.clock import SteppedClock
from signalfire.sim.desk import Call
from signalfire.sim.engine import Simulation

START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def sim(runtime: Runtime) -> Iterator[Simulation]:
    steps = SteppedClock(START)
    previous = clock.set_source(steps.now)
    try:
        demo.prepare(runtime)
        yield Simulation(runtime, settings=SimSettings(seed=5), clock=steps, calls=False)
    finally:
        clock.set_source(previous)


def fall() -> Call:
    now = clock.now()
    return Call("MED-FALL", 60.1655, 24.9410, "Bulevardi 6", now, now, "+358401234567")


def dispatcher(runtime: Runtime) -> Actor:
    password = (runtime.settings.data_dir / demo.PASSWORD_FILE).read_text().strip()
    with transaction(runtime.sessions) as db:
        login = sessions.login(
            db=db,
            settings=runtime.settings.auth,
            username="ems.dispatcher",
            password=password,
            otp=None,
            address="127.0.0.1",
        )
        return sessions.authenticate(db=db, settings=runtime.settings.auth, token=login.token)


def test_the_desk_dispatches_the_run_card_and_closes_when_units_clear(sim: Simulation) -> None:
    incident_id = sim.take_call(fall())
    sim.run_stepped(60)
    actor = sim.world.actors[sim.agency_ids["EMS"]]
    with sim.world.transaction() as db:
        sent = dispatch.assignments(db=db, actor=actor, incident_id=incident_id)
        assert len(sent) == 1  # EMS fallback card: one basic life support ambulance
    sim.run_stepped(3 * 3600)
    with sim.world.transaction() as db:
        assert incidents.get(db=db, actor=actor, incident_id=incident_id).status == "closed"


def test_a_person_who_acts_on_an_incident_takes_it_over(sim: Simulation, runtime: Runtime) -> None:
    incident_id = sim.take_call(fall())
    person = dispatcher(runtime)
    with transaction(runtime.sessions) as db:
        incidents.add_note(db=db, actor=person, incident_id=incident_id, text="I have this one")
    sim.run_stepped(600)
    with sim.world.transaction() as db:
        assert dispatch.assignments(db=db, actor=person, incident_id=incident_id) == []


def test_a_second_start_reuses_the_city_and_reset_starts_clean(
    runtime: Runtime, tmp_path: Path
) -> None:
    first = demo.prepare(runtime)
    again = demo.prepare(runtime)
    assert first.built
    assert not again.built
    assert again.password == first.password
    if runtime.engine.dialect.name != "sqlite":
        with pytest.raises(ValueError, match="SQLite"):
            demo.reset(runtime)
        return
    removed = demo.reset(runtime)
    assert removed
    assert not removed[0].exists()
    assert not (runtime.settings.data_dir / demo.PASSWORD_FILE).exists()
