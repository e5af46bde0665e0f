"""Events of the units domain."""

from __future__ import annotations

from typing import ClassVar

from signalfire.core.events import Event
from signalfire.units.schemas import PositionUpdate, UnitRead


class StationCreated(Event):
    topic: ClassVar[str] = "station.created"
    code: str


class UnitChanged(Event):
    """A unit was created or its record or status changed; carries its full state."""

    topic: ClassVar[str] = "unit.changed"
    unit: UnitRead
    change: str


class UnitsMoved(Event):
    """A batch of AVL positions was accepted (latest per unit)."""

    topic: ClassVar[str] = "unit.moved"
    audited: ClassVar[bool] = False
    positions: list[PositionUpdate]
