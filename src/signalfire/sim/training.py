"""Training runs: a scenario played on the demo city while a trainee dispatches.

The simulator answers each scripted call (the call-taker's part) and enters it as an
incident of the scenario's agency; the trainee does the rest in the console. Crews
still drive themselves. Unit outages and road closures happen at their set times.
At the end the run is read back from the database and scored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from signalfire.dispatch import service as dispatch
from signalfire.incidents import links
from signalfire.incidents import service as incidents
from signalfire.incidents.intervals import Kind
from signalfire.roads import service as roads
from signalfire.roads.schemas import ClosureCreate
from signalfire.sim.desk import Call
from signalfire.sim.engine import Simulation
from signalfire.sim.scenario import ClosureSpec, Outage, Place, Scenario, ScriptedCall
from signalfire.sim.scoring import CallOutcome, ScoreReport, score
from signalfire.units import service as units
from signalfire.units.status import UnitStatus


@dataclass
class TrainingRun:
    """A scenario scheduled on a simulation; ``calls`` maps call ids to incidents."""

    scenario: Scenario
    sim: Simulation
    started_at: datetime
    agency_id: int
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def ends_at(self) -> datetime:
        return self.started_at + self.scenario.duration


def schedule(scenario: Scenario, sim: Simulation) -> TrainingRun:
    """Put the scenario's calls, outages and closures on ``sim``'s agenda."""
    if scenario.agency not in sim.agency_ids:
        known = ", ".join(sorted(sim.agency_ids))
        raise ValueError(f"scenario agency {scenario.agency!r} is not in this city ({known})")
    run = TrainingRun(scenario, sim, sim.clock.now(), sim.agency_ids[scenario.agency])
    for call in scenario.calls:
        sim.agenda.at(run.started_at + call.at, partial(_ring, run, call))
    for outage in scenario.outages:
        _schedule_outage(run, outage)
    for closure in scenario.closures:
        sim.agenda.at(run.started_at + closure.at, partial(_close_road, run, closure))
    return run


def locate(sim: Simulation, place: Place) -> tuple[float, float, str | None]:
    """Coordinates of a scenario place (addresses through the geocoder)."""
    if place.address is None:
        return float(place.lat or 0), float(place.lon or 0), None
    found = sim.geocoder.search(place.address, limit=1)
    if not found:
        raise ValueError(f"the geocoder cannot find {place.address!r}")
    return found[0].lat, found[0].lon, found[0].label


def _ring(run: TrainingRun, call: ScriptedCall) -> None:
    received = run.sim.clock.now()
    lat, lon, address = locate(run.sim, call.location)
    entered = Call(
        nature_code=call.nature,
        lat=lat,
        lon=lon,
        address=address,
        received_at=received,
        answered_at=received + timedelta(seconds=run.scenario.targets.answer_s),
        caller_number=call.caller_number,
        caller_name=call.caller_name,
        text=call.text,
    )
    run.sim.agenda.after(
        run.scenario.targets.answer_s,
        lambda: run.calls.__setitem__(call.id, run.sim.desk.enter(entered, run.agency_id)),
    )


def _unit_id(run: TrainingRun, callsign: str) -> tuple[int, int]:
    """(unit id, owning agency id) of ``callsign`` in the city."""
    world = run.sim.world
    with world.transaction() as db:
        for agency_id, actor in world.actors.items():
            for unit in units.list_units(db=db, actor=actor):
                if unit.callsign == callsign and unit.agency_id == agency_id:
                    return unit.id, agency_id
    raise ValueError(f"the city has no unit {callsign!r}")


def _schedule_outage(run: TrainingRun, outage: Outage) -> None:
    unit_id, agency_id = _unit_id(run, outage.unit)

    def set_status(to: UnitStatus) -> None:
        with run.sim.world.transaction() as db:
            dispatch.change_unit_status(
                db=db, actor=run.sim.world.actors[agency_id], unit_id=unit_id, to=to
            )

    run.sim.agenda.at(run.started_at + outage.at, lambda: set_status(UnitStatus.OUT_OF_SERVICE))
    if outage.until is not None:
        back = run.started_at + outage.until
        run.sim.agenda.at(back, lambda: set_status(UnitStatus.AVAILABLE))


def _close_road(run: TrainingRun, spec: ClosureSpec) -> None:
    """Close the road as a dispatcher would: stored, so every router honours it."""
    lat, lon, _address = locate(run.sim, spec.near)
    # Stored like any closure, so it ends with the run at the latest.
    end = run.started_at + spec.until if spec.until is not None else run.ends_at
    world = run.sim.world
    data = ClosureCreate(lat=lat, lon=lon, until=end, reason=spec.reason)
    with world.transaction() as db:
        roads.close(db=db, actor=world.actors[run.agency_id], network=world.roads, data=data)


def outcomes(run: TrainingRun) -> list[CallOutcome]:
    """What happened to each scripted call, read back from the database."""
    world = run.sim.world
    actor = world.actors[run.agency_id]
    by_incident = {incident_id: call_id for call_id, incident_id in run.calls.items()}
    found = []
    with world.transaction() as db:
        for call_id, incident_id in run.calls.items():
            steps = incidents.timeline(db=db, actor=actor, incident_id=incident_id)
            first: dict[str, datetime] = {}
            for step in steps:
                first.setdefault(step.kind, step.at)
            sent = dispatch.assignments(db=db, actor=actor, incident_id=incident_id)
            types = Counter(
                units.get_unit(db=db, actor=actor, unit_id=a.unit_id).unit_type for a in sent
            )
            linked = links.links_of(db=db, actor=actor, incident_id=incident_id)
            found.append(
                CallOutcome(
                    call_id=call_id,
                    incident_id=incident_id,
                    received_at=first[Kind.CALL_RECEIVED],
                    answered_at=first[Kind.CALL_ANSWERED],
                    first_dispatch_at=min((a.assigned_at for a in sent), default=None),
                    unit_types_sent=dict(types),
                    linked_to=frozenset(
                        by_incident[link.other_id]
                        for link in linked
                        if link.other_id in by_incident
                    ),
                )
            )
    return found


def finish(run: TrainingRun, *, trainee: str) -> ScoreReport:
    """Score the run as it stands."""
    return score(
        run.scenario,
        outcomes(run),
        trainee=trainee,
        started_at=run.started_at,
        ended_at=run.sim.clock.now(),
    )
