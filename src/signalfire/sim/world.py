"""What the simulated actors share: the database, the roads, their accounts, chance."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from signalfire.core.auth.actor import Actor
from signalfire.core.db import transaction
from signalfire.geo.network import RoadNetwork
from signalfire.geo.routing import Route, Router
from signalfire.roads import service as roads
from signalfire.sim.city import Site


@dataclass
class World:
    """The simulator's view of one install."""

    sessions: sessionmaker[Session]
    reader: sessionmaker[Session]  # read-only snapshots
    roads: RoadNetwork
    actors: dict[int, Actor]  # agency id -> the simulator's account in it
    hospitals: list[Site]
    rng: np.random.Generator
    now: Callable[[], datetime]

    @property
    def sim_user_ids(self) -> frozenset[int]:
        return frozenset(a.user_id for a in self.actors.values() if a.user_id is not None)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work for one simulated step."""
        with transaction(self.sessions) as db:
            yield db

    def router(self, db: Session) -> Router:
        """The road router with the closures stored in the database (any process's)."""
        return roads.sync_router(db=db, network=self.roads)

    def route(self, start: tuple[float, float], end: tuple[float, float]) -> Route | None:
        """The fastest road route between two points, closures included."""
        with self.reader() as db:
            router = self.router(db)
        graph = router.graph
        return router.route(graph.snap(*start), graph.snap(*end), self.now())
