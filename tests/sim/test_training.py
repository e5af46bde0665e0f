"""A shipped scenario replayed at full speed with scripted trainees gives the score
their work deserves, read back from what they did in the database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from signalfire import demo
from signalfire.core import clock
from signalfire.core.config import SimSettings
from signalfire.core.runtime import Runtime
from signalfire.dispatch import service as dispatch
from signalfire.incidents import links
from signalfire.incidents import service as incidents
from signalfire.incidents.intervals import Kind
from signalfire.incidents.schemas import LinkCreate
from signalfire.sim import training
from signalfire.sim.clock import SteppedClock
from signalfire.sim.engine import Simulation
from signalfire.sim.scenario import load_scenario, resolve_scenario
from signalfire.units import service as units
from signalfire.units.status import ASSIGNABLE

START = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
#: How a trainee handles a call: (run, call id, incident id) -> None.
Handler = Callable[[training.TrainingRun, str, int], None]


@pytest.fixture
def stepped(runtime: Runtime) -> Iterator[Simulation]:
    """The demo city on a stepped clock: no random calls, no simulated dispatcher."""
    steps = SteppedClock(START)
    previous = clock.set_source(steps.now)
    try:
        demo.prepare(runtime)
        yield Simulation(
            runtime, settings=SimSettings(seed=3), clock=steps, calls=False, dispatches=False
        )
    finally:
        clock.set_source(previous)


def trainee(run: training.TrainingRun, delay_s: float, handle: Handler) -> None:
    """Looks at the queue every 5 s and handles each new call ``delay_s`` after it was
    entered."""
    handled: set[str] = set()

    def look() -> None:
        for call_id, incident_id in list(run.calls.items()):
            if call_id in handled:
                continue
            handled.add(call_id)
            with run.sim.world.transaction() as db:
                steps = incidents.timeline(
                    db=db, actor=run.sim.world.actors[run.agency_id], incident_id=incident_id
                )
                entered = next(s.at for s in steps if s.kind == Kind.INCIDENT_ENTERED)
            due = entered + timedelta(seconds=delay_s)
            run.sim.agenda.at(due, partial(handle, run, call_id, incident_id))

    run.sim.agenda.every(5, look)


def send_expected(run: training.TrainingRun, call_id: str, incident_id: int) -> None:
    """Send the unit types the scenario expects; link duplicates to their first call."""
    call = next(c for c in run.scenario.calls if c.id == call_id)
    actor = run.sim.world.actors[run.agency_id]
    with run.sim.world.transaction() as db:
        if call.duplicate_of:
            original = run.calls[call.duplicate_of]
            data = LinkCreate(other_id=incident_id, kind="duplicate")
            links.link(
                db=db,
                actor=actor,
                incident_id=original,
                data=data,
                responders=dispatch.RESPONDERS,
            )
            return
        free = list(units.list_units(db=db, actor=actor, statuses=ASSIGNABLE))
        chosen = []
        for unit_type, count in call.expect_units.items():
            chosen += [u.id for u in free if u.unit_type == unit_type][:count]
        dispatch.assign(db=db, actor=actor, incident_id=incident_id, unit_ids=chosen)


def send_one_engine_and_link_once(
    run: training.TrainingRun, call_id: str, incident_id: int
) -> None:
    """A hurried trainee: one engine for the first call, only one duplicate linked."""
    call = next(c for c in run.scenario.calls if c.id == call_id)
    if call.duplicate_of and call_id != "crash-tram-driver":
        return
    if call.duplicate_of:
        send_expected(run, call_id, incident_id)
        return
    actor = run.sim.world.actors[run.agency_id]
    with run.sim.world.transaction() as db:
        engine = next(u for u in units.list_units(db=db, actor=actor) if u.unit_type == "engine")
        dispatch.assign(db=db, actor=actor, incident_id=incident_id, unit_ids=[engine.id])


def play(sim: Simulation, delay_s: float, handle: Handler) -> training.TrainingRun:
    run = training.schedule(load_scenario(resolve_scenario("multi_vehicle_collision")), sim)
    trainee(run, delay_s, handle)
    sim.run_stepped(run.scenario.duration.total_seconds())
    return run


def test_a_prompt_trainee_who_sends_the_right_units_scores_full_marks(
    stepped: Simulation,
) -> None:
    run = play(stepped, 30, send_expected)
    report = training.finish(run, trainee="good.trainee")
    assert set(run.calls) == {c.id for c in run.scenario.calls}
    assert report.score == 100.0
    first = next(c for c in report.calls if c.call_id == "crash-first")
    processing = next(c for c in first.checks if c.name == "call processing")
    assert processing.value == pytest.approx(30.0)  # entered on answer, dispatched 30 s later
    assert report.summary.call_processing_within_target == 1.0


def test_a_slow_trainee_who_sends_too_little_loses_the_points(stepped: Simulation) -> None:
    run = play(stepped, 80, send_one_engine_and_link_once)
    report = training.finish(run, trainee="slow.trainee")
    first = next(c for c in report.calls if c.call_id == "crash-first")
    assert {c.name: c.passed for c in first.checks} == {
        "call processing": False,  # 80 s from answer
        "time to first dispatch": False,  # 95 s from the ring
        "unit types": False,
    }
    linked = [c.call_id for c in report.calls if c.duplicate_of and c.points]
    assert linked == ["crash-tram-driver"]
    assert report.score == pytest.approx(round(100 * 1 / 6, 1))


def test_crews_answer_the_trainees_dispatch_and_outages_hold_units_back(
    stepped: Simulation,
) -> None:
    scenario = load_scenario(resolve_scenario("structure_fire"))
    run = training.schedule(scenario, stepped)
    trainee(run, 30, send_expected)
    stepped.run_stepped(600)
    actor = stepped.world.actors[run.agency_id]
    with stepped.world.transaction() as db:
        by_sign = {u.callsign: u for u in units.list_units(db=db, actor=actor)}
        sent = dispatch.assignments(db=db, actor=actor, incident_id=run.calls["fire-first"])
        sent_signs = {
            db_unit.callsign
            for db_unit in by_sign.values()
            if db_unit.id in {a.unit_id for a in sent}
        }
    assert by_sign["E1"].status == "out_of_service"  # the scripted outage
    assert "E1" not in sent_signs
    assert {by_sign[s].status for s in sent_signs} <= {"on_scene", "transporting"}
