"""The unit status machine. Pure: no database, no web.

A unit moves ``available`` → ``dispatched`` → ``en_route`` → ``on_scene`` →
(``transporting`` → ``at_hospital`` →) ``available_on_radio`` → ``available``; it can be
taken ``out_of_service`` while free, and a dispatch can be cancelled before arrival.
"""

from __future__ import annotations

from enum import StrEnum


class UnitStatus(StrEnum):
    AVAILABLE = "available"  # in quarters, ready
    AVAILABLE_ON_RADIO = "available_on_radio"  # ready, out of quarters
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    AT_HOSPITAL = "at_hospital"
    OUT_OF_SERVICE = "out_of_service"


S = UnitStatus

TRANSITIONS: dict[UnitStatus, frozenset[UnitStatus]] = {
    S.AVAILABLE: frozenset({S.DISPATCHED, S.AVAILABLE_ON_RADIO, S.OUT_OF_SERVICE}),
    S.AVAILABLE_ON_RADIO: frozenset({S.DISPATCHED, S.AVAILABLE, S.OUT_OF_SERVICE}),
    S.DISPATCHED: frozenset({S.EN_ROUTE, S.ON_SCENE, S.AVAILABLE_ON_RADIO, S.AVAILABLE}),
    S.EN_ROUTE: frozenset({S.ON_SCENE, S.AVAILABLE_ON_RADIO, S.DISPATCHED}),
    S.ON_SCENE: frozenset({S.TRANSPORTING, S.AVAILABLE_ON_RADIO}),
    S.TRANSPORTING: frozenset({S.AT_HOSPITAL}),
    S.AT_HOSPITAL: frozenset({S.AVAILABLE_ON_RADIO, S.TRANSPORTING}),
    S.OUT_OF_SERVICE: frozenset({S.AVAILABLE, S.AVAILABLE_ON_RADIO}),
}

#: Statuses in which a unit may be given an incident.
ASSIGNABLE = frozenset({S.AVAILABLE, S.AVAILABLE_ON_RADIO})
#: Statuses from which a unit may be moved to another incident (not yet arrived).
REASSIGNABLE = frozenset({S.DISPATCHED, S.EN_ROUTE})
#: Statuses of a unit committed to an incident.
COMMITTED = frozenset({S.DISPATCHED, S.EN_ROUTE, S.ON_SCENE, S.TRANSPORTING, S.AT_HOSPITAL})
#: Statuses that mean the unit has reached the scene at some point.
ARRIVED = frozenset({S.ON_SCENE, S.TRANSPORTING, S.AT_HOSPITAL})


class IllegalTransition(ValueError):
    """A status change the machine does not allow; names the allowed ones."""

    def __init__(self, current: UnitStatus, requested: UnitStatus) -> None:
        self.current, self.requested = current, requested
        self.allowed = sorted(TRANSITIONS[current])
        super().__init__(
            f"a unit that is {current.value} cannot become {requested.value}; "
            f"allowed: {', '.join(s.value for s in self.allowed)}"
        )


def check(current: UnitStatus, requested: UnitStatus) -> UnitStatus:
    """Return ``requested`` if the machine allows it from ``current``.

    >>> check(UnitStatus.DISPATCHED, UnitStatus.EN_ROUTE)
    <UnitStatus.EN_ROUTE: 'en_route'>
    >>> try:
    ...     check(UnitStatus.TRANSPORTING, UnitStatus.AVAILABLE)
    ... except IllegalTransition as exc:
    ...     print([s.value for s in exc.allowed])
    ['at_hospital']
    """
    if requested not in TRANSITIONS[current]:
        raise IllegalTransition(current, requested)
    return requested
