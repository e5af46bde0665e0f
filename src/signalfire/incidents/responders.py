"""What closing, cancelling and merging an incident need to know about its units.

Dispatch owns assignments and implements :class:`Responders`; the incidents domain
asks through it and never reads dispatch's tables, so the dependency keeps pointing
one way (dispatch uses incidents, not the reverse).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from signalfire.core.auth.actor import Actor
from signalfire.incidents.models import Incident


@dataclass(frozen=True, slots=True)
class Responder:
    """A unit still assigned to an incident."""

    unit_id: int
    callsign: str
    status: str
    #: Not yet arrived: it may be cancelled with the incident.
    may_stand_down: bool


class Responders(Protocol):
    """The units side of an incident, as dispatch keeps it."""

    def assigned(self, *, db: Session, incident: Incident) -> list[Responder]:
        """Units still assigned to ``incident``, by callsign."""
        ...

    def stand_down(self, *, db: Session, actor: Actor, incident: Incident, unit_id: int) -> None:
        """Cancel a unit that has not yet arrived; the incident's status follows."""
        ...
