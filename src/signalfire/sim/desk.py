"""The simulated dispatch desk: enters calls as incidents, dispatches the recommended
units, and closes incidents once their units have cleared.

A person can take over any incident: once someone other than the simulator has acted
on it (a note, a dispatch, a status change), the desk leaves it to them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from signalfire.core.errors import DomainError
from signalfire.dispatch import recommend
from signalfire.dispatch import service as dispatch
from signalfire.incidents import closing, intake
from signalfire.incidents import service as incidents
from signalfire.incidents.schemas import CallerIn, IncidentCreate, IncidentStatus, LocationIn
from signalfire.sim import behaviour
from signalfire.sim.world import World

log = logging.getLogger(__name__)
RETRY_S = 60.0


@dataclass(frozen=True, slots=True)
class Call:
    """A call as the call-taker hears it."""

    nature_code: str
    lat: float
    lon: float
    address: str | None
    received_at: datetime
    answered_at: datetime
    caller_number: str | None = None
    caller_name: str | None = None
    text: str = ""


class Desk:
    """Call-taker and dispatcher for the incidents nobody else handles."""

    def __init__(self, world: World, *, dispatches: bool = True) -> None:
        self.world = world
        self.dispatches = dispatches
        self.pending: dict[int, datetime] = {}  # incident id -> when to dispatch it
        self.working: dict[int, int] = {}  # incident id -> agency id, dispatched by us

    def enter(self, call: Call, agency_id: int) -> int:
        """Enter ``call`` as an incident of ``agency_id``; returns its id."""
        actor = self.world.actors[agency_id]
        data = IncidentCreate(
            nature_code=call.nature_code,
            summary=call.text,
            location=LocationIn(
                lat=call.lat,
                lon=call.lon,
                address=call.address,
                source="caller_device",
                accuracy_m=20,
            ),
            caller=CallerIn(name=call.caller_name, number=call.caller_number)
            if call.caller_number or call.caller_name
            else None,
            call_received_at=call.received_at,
            call_answered_at=call.answered_at,
            time_source="telephony",
        )
        with self.world.transaction() as db:
            incident_id = intake.create(db=db, actor=actor, data=data).incident.id
        if self.dispatches:
            delay = behaviour.call_to_dispatch_s(self.world.rng)
            self.pending[incident_id] = self.world.now() + timedelta(seconds=delay)
            self.working[incident_id] = agency_id
        return incident_id

    def tick(self) -> None:
        """Dispatch what is due; close what has cleared."""
        now = self.world.now()
        for incident_id, due in list(self.pending.items()):
            if due <= now:
                del self.pending[incident_id]
                self._dispatch(incident_id)
        for incident_id in list(self.working):
            if incident_id not in self.pending:
                self._close_if_cleared(incident_id)

    def _touched_by_person(self, incident_id: int) -> bool:
        actor = self.world.actors[self.working[incident_id]]
        ours = self.world.sim_user_ids
        with self.world.transaction() as db:
            steps = incidents.timeline(db=db, actor=actor, incident_id=incident_id)
            return any(s.actor_user_id is not None and s.actor_user_id not in ours for s in steps)

    def _dispatch(self, incident_id: int) -> None:
        if self._touched_by_person(incident_id):
            self.working.pop(incident_id, None)  # a person has it now
            return
        actor = self.world.actors[self.working[incident_id]]
        try:
            with self.world.transaction() as db:
                advice = recommend.recommend(
                    db=db, actor=actor, incident_id=incident_id, router=self.world.router(db)
                )
                chosen = [o.unit_id for r in advice.requirements for o in r.proposed]
                if chosen:
                    dispatch.assign(db=db, actor=actor, incident_id=incident_id, unit_ids=chosen)
                short = sum(r.short_by for r in advice.requirements)
        except DomainError as exc:
            log.info("simulated dispatch of incident %s failed: %s", incident_id, exc)
            chosen, short = [], 1
        if short or not chosen:  # try again for what is missing
            self.pending[incident_id] = self.world.now() + timedelta(seconds=RETRY_S)

    def _close_if_cleared(self, incident_id: int) -> None:
        if self._touched_by_person(incident_id):
            self.working.pop(incident_id)
            return
        actor = self.world.actors[self.working[incident_id]]
        with self.world.transaction() as db:
            incident = incidents.get(db=db, actor=actor, incident_id=incident_id)
            if incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
                self.working.pop(incident_id)
                return
            sent = dispatch.assignments(db=db, actor=actor, incident_id=incident_id)
            if not sent or any(a.ended_at is None for a in sent):
                return
            closing.close(
                db=db,
                actor=actor,
                incident_id=incident_id,
                disposition="handled (simulated)",
                responders=dispatch.RESPONDERS,
            )
        self.working.pop(incident_id)
