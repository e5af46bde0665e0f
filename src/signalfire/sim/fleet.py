"""Autonomous crews: units nobody drives by hand react to dispatch on their own.

A dispatched unit turns out, drives its routed path at road speed reporting AVL
positions, works on scene, transports to the nearest hospital when the call needs it,
and returns to its station. A unit whose status someone else sets to a working status
(a crew with a real terminal, a trainer) is left alone until it is free again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from signalfire.core.errors import DomainError
from signalfire.dispatch import service as dispatch
from signalfire.geo.routing import Route
from signalfire.incidents import catalogue
from signalfire.incidents import service as incidents
from signalfire.incidents.natures import Nature
from signalfire.sim import behaviour
from signalfire.sim.motion import position_along
from signalfire.sim.world import World
from signalfire.units import positions
from signalfire.units import service as units
from signalfire.units.models import Unit
from signalfire.units.schemas import PositionReport
from signalfire.units.status import UnitStatus

log = logging.getLogger(__name__)
S = UnitStatus


@dataclass
class Trip:
    route: Route
    departed: datetime

    def elapsed(self, now: datetime) -> float:
        return (now - self.departed).total_seconds()

    def done(self, now: datetime) -> bool:
        return self.elapsed(now) >= self.route.seconds


@dataclass
class Crew:
    """What the simulator knows and expects of one unit."""

    unit_id: int
    agency_id: int
    unit_type: str
    home: tuple[float, float] | None
    expected: UnitStatus = S.AVAILABLE
    phase: str = "idle"  # idle, turnout, to_scene, on_scene, to_hospital, at_hospital, home
    until: datetime | None = None
    trip: Trip | None = None
    incident_id: int | None = None
    transport: bool = False
    manual: bool = False
    position: tuple[float, float] | None = field(default=None)


class Fleet:
    """All autonomous units; :meth:`tick` moves them on by one step."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.crews: dict[int, Crew] = {}
        self._stations: dict[int, tuple[float, float]] = {}

    def tick(self) -> None:
        """Notice dispatches and changes, report positions, advance each crew."""
        for unit in self._units():
            crew = self._crew(unit)
            if UnitStatus(unit.status) != crew.expected:
                self._resync(crew, UnitStatus(unit.status))
        self._report_positions()
        for crew in list(self.crews.values()):
            if not crew.manual:
                self._advance(crew)

    # --- reading the world ---------------------------------------------------------

    def _units(self) -> list[Unit]:
        found: dict[int, Unit] = {}
        with self.world.transaction() as db:
            if not self._stations:  # stations do not move: read them once
                for actor in self.world.actors.values():
                    for station in units.list_stations(db=db, actor=actor):
                        self._stations[station.id] = (station.lat, station.lon)
            for actor in self.world.actors.values():
                for unit in units.list_units(db=db, actor=actor):
                    if unit.agency_id == actor.agency_id:
                        found[unit.id] = unit
        return list(found.values())

    def _crew(self, unit: Unit) -> Crew:
        crew = self.crews.get(unit.id)
        if crew is None:
            crew = Crew(unit.id, unit.agency_id, unit.unit_type, self._home(unit))
            crew.expected = UnitStatus(unit.status)
            crew.position = (unit.lat, unit.lon) if unit.lat and unit.lon else crew.home
            self.crews[unit.id] = crew
            if crew.expected == S.DISPATCHED:
                self._resync(crew, S.DISPATCHED)
        return crew

    def _home(self, unit: Unit) -> tuple[float, float] | None:
        return self._stations.get(unit.home_station_id) if unit.home_station_id else None

    # --- reacting to others ----------------------------------------------------------

    def _resync(self, crew: Crew, status: UnitStatus) -> None:
        """Someone else changed the unit's status: follow their lead."""
        crew.expected, crew.trip, crew.until, crew.manual = status, None, None, False
        if status == S.DISPATCHED:
            crew.phase = "turnout"
            crew.until = self.world.now() + timedelta(
                seconds=behaviour.turnout_s(crew.unit_type, self.world.rng)
            )
        elif status == S.AVAILABLE_ON_RADIO:
            self._head_home(crew)
        elif status in (S.AVAILABLE, S.OUT_OF_SERVICE):
            crew.phase = "idle"
        else:  # a working status set by a person: they drive this unit now
            crew.manual = True

    # --- acting ------------------------------------------------------------------------

    def _advance(self, crew: Crew) -> None:
        now = self.world.now()
        due = crew.until is not None and now >= crew.until
        arrived = crew.trip is None or crew.trip.done(now)
        if crew.phase == "turnout" and due:
            self._roll(crew)
        elif crew.phase == "to_scene" and arrived:
            self._arrive(crew)
        elif crew.phase == "on_scene" and due:
            self._leave_scene(crew)
        elif crew.phase == "to_hospital" and arrived:
            self._set(crew, S.AT_HOSPITAL, "at_hospital", trip=None)
            crew.until = now + timedelta(seconds=behaviour.handover_s(self.world.rng))
        elif crew.phase == "at_hospital" and due:
            self._set(crew, S.AVAILABLE_ON_RADIO, "home", trip=None)
            self._head_home(crew)
        elif crew.phase == "home" and arrived:
            self._set(crew, S.AVAILABLE, "idle", trip=None)

    def _roll(self, crew: Crew) -> None:
        scene = self._scene(crew)
        if scene is None:
            return
        trip = self._trip(crew, scene)
        self._set(crew, S.EN_ROUTE, "to_scene", trip=trip)

    def _arrive(self, crew: Crew) -> None:
        nature = self._nature(crew)
        self._set(crew, S.ON_SCENE, "on_scene", trip=None)
        if nature is None:
            crew.until = self.world.now()
            return
        rng = self.world.rng
        crew.until = self.world.now() + timedelta(seconds=behaviour.scene_s(nature, rng))
        crew.transport = behaviour.transports(nature, crew.unit_type, rng)

    def _leave_scene(self, crew: Crew) -> None:
        hospital = self._nearest_hospital(crew) if crew.transport else None
        if hospital is not None:
            self._set(crew, S.TRANSPORTING, "to_hospital", trip=self._trip(crew, hospital))
            return
        self._set(crew, S.AVAILABLE_ON_RADIO, "home", trip=None)
        self._head_home(crew)

    def _head_home(self, crew: Crew) -> None:
        crew.phase = "home"
        crew.trip = self._trip(crew, crew.home) if crew.home else None

    def _set(self, crew: Crew, status: UnitStatus, phase: str, *, trip: Trip | None) -> None:
        """Report ``status`` as the unit's terminal would; on refusal, resynchronise."""
        actor = self.world.actors[crew.agency_id]
        try:
            with self.world.transaction() as db:
                dispatch.change_unit_status(
                    db=db, actor=actor, unit_id=crew.unit_id, to=status, source="terminal"
                )
        except DomainError as exc:
            log.info("simulated unit %s could not become %s: %s", crew.unit_id, status, exc)
            crew.expected = S.OUT_OF_SERVICE  # unknown: the next tick reads it again
            return
        crew.expected, crew.phase, crew.trip, crew.until = status, phase, trip, None

    # --- places and routes -----------------------------------------------------------

    def _trip(self, crew: Crew, to: tuple[float, float]) -> Trip | None:
        start = crew.position or crew.home
        route = self.world.route(start, to) if start else None
        return Trip(route, self.world.now()) if route else None

    def _scene(self, crew: Crew) -> tuple[float, float] | None:
        actor = self.world.actors[crew.agency_id]
        with self.world.transaction() as db:
            assignment = dispatch.active_assignment(db=db, unit_id=crew.unit_id)
            if assignment is None:
                return None
            crew.incident_id = assignment.incident_id
            incident = incidents.get(db=db, actor=actor, incident_id=assignment.incident_id)
            if incident.lat is None or incident.lon is None:
                return None
            return (incident.lat, incident.lon)

    def _nature(self, crew: Crew) -> Nature | None:
        if crew.incident_id is None:
            return None
        actor = self.world.actors[crew.agency_id]
        with self.world.transaction() as db:
            incident = incidents.get(db=db, actor=actor, incident_id=crew.incident_id)
            known = catalogue.natures_for(db=db, agency_id=incident.agency_id)
            return known.get(incident.nature_code)

    def _nearest_hospital(self, crew: Crew) -> tuple[float, float] | None:
        best: tuple[float, tuple[float, float]] | None = None
        for site in self.world.hospitals:
            trip = self._trip(crew, (site.lat, site.lon))
            if trip and (best is None or trip.route.seconds < best[0]):
                best = (trip.route.seconds, (site.lat, site.lon))
        return best[1] if best else None

    # --- AVL ---------------------------------------------------------------------------

    def _report_positions(self) -> None:
        now = self.world.now()
        batches: dict[int, list[PositionReport]] = {}
        for crew in self.crews.values():
            if crew.trip is None or crew.manual:
                continue
            fix = position_along(crew.trip.route, crew.trip.elapsed(now))
            crew.position = (fix.lat, fix.lon)
            batches.setdefault(crew.agency_id, []).append(
                PositionReport(
                    unit_id=crew.unit_id,
                    lat=fix.lat,
                    lon=fix.lon,
                    heading=fix.heading,
                    speed=fix.speed,
                    time=now,
                )
            )
        for agency_id, reports in batches.items():
            with self.world.transaction() as db:
                positions.ingest(db=db, actor=self.world.actors[agency_id], reports=reports)
