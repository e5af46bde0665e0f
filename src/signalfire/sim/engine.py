"""A simulated city running on one install: calls arrive, the desk handles them, the
fleet drives. Paced against the wall clock (demo) or stepped (replays, tests)."""

from __future__ import annotations

import threading
from datetime import timedelta

import numpy as np

from signalfire.core.config import SimSettings
from signalfire.core.runtime import Runtime
from signalfire.geo.roads import helsinki_extract
from signalfire.incidents.natures import DEFAULT_CATALOGUE
from signalfire.sim import arrivals, city
from signalfire.sim.clock import PacedClock, SteppedClock
from signalfire.sim.desk import Call, Desk
from signalfire.sim.fleet import Fleet
from signalfire.sim.schedule import Scheduler
from signalfire.sim.world import World

_NATURES = {n.code: n for n in DEFAULT_CATALOGUE}


def call_model(settings: SimSettings) -> arrivals.CallModel:
    """The arrival model the settings describe."""
    return arrivals.CallModel(
        calls_per_hour=settings.calls_per_hour,
        natures=settings.natures or arrivals.DEFAULT_NATURE_MIX,
        hotspots=tuple(
            arrivals.Hotspot(h.lat, h.lon, h.radius_m, h.weight, h.name) for h in settings.hotspots
        ),
        hotspot_share=settings.hotspot_share if settings.hotspots else 0.0,
    )


class Simulation:
    """Calls, desk and fleet of the demo city on ``rt``, on ``clock``'s time."""

    def __init__(
        self,
        rt: Runtime,
        *,
        settings: SimSettings,
        clock: PacedClock | SteppedClock,
        calls: bool = True,
        dispatches: bool = True,
    ) -> None:
        self.clock = clock
        self.settings = settings
        with rt.sessions() as db:
            actors = city.sim_actors(db)
        self.agency_ids = {code: actor.agency_id or 0 for code, actor in actors.items()}
        extract = rt.settings.geo.extract or helsinki_extract()
        sites = city.choose_sites(city.sites_from_map(extract))
        self.world = World(
            sessions=rt.sessions,
            reader=rt.reader,
            roads=rt.roads,
            actors={a.agency_id or 0: a for a in actors.values()},
            hospitals=[site for site in sites if site.kind == "hospital"],
            rng=np.random.default_rng(settings.seed),
            now=clock.now,
        )
        self.agenda = Scheduler(clock.now)
        self.fleet = Fleet(self.world)
        self.desk = Desk(self.world, dispatches=dispatches)
        self.geocoder = rt.roads.geocoder()
        self.addresses = self.geocoder.addresses
        self.agenda.every(settings.avl_interval_s, self.tick)
        if calls and settings.calls_per_hour > 0:
            self.model = call_model(settings)
            self.agenda.after(settings.first_call_after_s, self._next_call)

    def tick(self) -> None:
        """One step of the desk and the fleet."""
        self.desk.tick()
        self.fleet.tick()

    def take_call(self, call: Call) -> int:
        """Enter ``call`` in the agency its nature belongs to; returns the incident id."""
        agency = city.owning_agency(_NATURES[call.nature_code])
        return self.desk.enter(call, self.agency_ids[agency])

    def _next_call(self) -> None:
        now = self.clock.now()
        drawn = arrivals.draw_call(self.model, now, self.addresses, self.world.rng)
        self.take_call(
            Call(
                nature_code=drawn.nature_code,
                lat=drawn.lat,
                lon=drawn.lon,
                address=drawn.address,
                received_at=now - timedelta(seconds=30),
                answered_at=now - timedelta(seconds=25),
                caller_number=f"+35840{int(self.world.rng.integers(10**7)):07d}",
                text=f"Simulated call: {_NATURES[drawn.nature_code].name.lower()}",
            )
        )
        self.agenda.at(arrivals.next_arrival(self.model, now, self.world.rng), self._next_call)

    def run_stepped(self, until_s: float) -> None:
        """Play ``until_s`` simulated seconds at once (a stepped clock only)."""
        if not isinstance(self.clock, SteppedClock):
            raise TypeError("run_stepped needs a SteppedClock")
        self.agenda.run_stepped(self.clock, until=self.clock.now() + timedelta(seconds=until_s))

    def start(self) -> threading.Event:
        """Run paced in a background thread until the returned event is set."""
        if not isinstance(self.clock, PacedClock):
            raise TypeError("start needs a PacedClock")
        stop = threading.Event()
        paced = self.clock
        thread = threading.Thread(
            target=self.agenda.run_paced, args=(paced, stop), name="simulator", daemon=True
        )
        thread.start()
        return stop
