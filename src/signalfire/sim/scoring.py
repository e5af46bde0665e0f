"""Scoring a played training scenario. Pure: outcomes in, a report out.

Each scripted call earns one point per check passed. An original call is checked for call
processing (answered to first dispatch, NFPA 1225), time to first dispatch (received to
first dispatch) and, when the scenario names them, the unit types sent. A duplicate call is
checked only for being linked to the call it repeats.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from signalfire.sim.scenario import Scenario, ScriptedCall, Targets

CALL_PROCESSING = "call processing"
FIRST_DISPATCH = "time to first dispatch"
UNIT_TYPES = "unit types"
DUPLICATE_LINKED = "duplicate linked"


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What the trainee did with one scripted call."""

    call_id: str
    incident_id: int | None
    received_at: datetime
    answered_at: datetime
    first_dispatch_at: datetime | None
    unit_types_sent: Mapping[str, int]
    """Unit type value to the number of such units dispatched to this call's incident."""
    linked_to: frozenset[str]
    """Ids of the other scripted calls whose incidents are linked to this one."""


class _Report(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(_Report):
    """One scored check: passed or not, the measured value against its target."""

    name: str
    passed: bool
    value: float | None = None
    target: float | None = None
    detail: str = ""


class CallScore(_Report):
    """The checks of one scripted call."""

    call_id: str
    nature: str
    incident_id: int | None
    duplicate_of: str | None = None
    checks: list[Check]

    @property
    def points(self) -> int:
        """Checks passed."""
        return sum(check.passed for check in self.checks)


class Summary(_Report):
    """Totals over the run; times over dispatched original (non-duplicate) calls."""

    calls: int
    duplicates: int
    dispatched: int
    call_processing_within_target: float | None
    call_processing_p90_s: float | None
    mean_first_dispatch_s: float | None


class ScoreReport(_Report):
    """The score of one trainee on one scenario run."""

    scenario: str
    trainee: str
    started_at: datetime
    ended_at: datetime
    score: float
    points: int
    possible: int
    targets: Targets
    calls: list[CallScore]
    summary: Summary


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (``pct`` in 0..100); ``None`` for no values.

    Examples
    --------
    >>> percentile([15, 20, 35, 40, 50], 90)
    50
    >>> percentile([3, 1, 2], 50), percentile([7], 90), percentile([], 90) is None
    (2, 7, True)
    >>> percentile(list(range(1, 11)), 90)
    9
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _seconds(delta: timedelta) -> float:
    return round(delta.total_seconds(), 1)


def _time_check(name: str, start: datetime | None, end: datetime | None, target: float) -> Check:
    """Passed when ``end - start`` is within ``target`` seconds; failed when never done."""
    if start is None or end is None:
        return Check(name=name, passed=False, target=target, detail="no unit dispatched")
    value = _seconds(end - start)
    passed = value <= target
    detail = f"{value:g} s {'within' if passed else 'over'} the {target:g} s target"
    return Check(name=name, passed=passed, value=value, target=target, detail=detail)


def missing_units(expected: Mapping[str, int], sent: Mapping[str, int]) -> dict[str, int]:
    """Expected unit types not sent in full, with how many are missing.

    >>> missing_units({"engine": 2, "ladder": 1}, {"engine": 3})
    {'ladder': 1}
    >>> missing_units({"engine": 2}, {"engine": 1, "chief": 1})
    {'engine': 1}
    """
    short = {kind: count - sent.get(kind, 0) for kind, count in expected.items()}
    return {kind: gap for kind, gap in short.items() if gap > 0}


def _units_check(call: ScriptedCall, sent: Mapping[str, int]) -> Check:
    expected = {str(kind): count for kind, count in call.expect_units.items()}
    missing = missing_units(expected, sent)
    total = sum(expected.values())
    if missing:
        detail = "missing " + ", ".join(f"{n} {kind}" for kind, n in missing.items())
    else:
        detail = "sent " + ", ".join(f"{n} {kind}" for kind, n in expected.items())
    got = total - sum(missing.values())
    return Check(name=UNIT_TYPES, passed=not missing, value=got, target=total, detail=detail)


def _original_checks(call: ScriptedCall, outcome: CallOutcome | None, t: Targets) -> list[Check]:
    dispatched = None if outcome is None else outcome.first_dispatch_at
    answered = None if outcome is None else outcome.answered_at
    received = None if outcome is None else outcome.received_at
    checks = [
        _time_check(CALL_PROCESSING, answered, dispatched, t.call_processing_s),
        _time_check(FIRST_DISPATCH, received, dispatched, t.first_dispatch_s),
    ]
    if call.expect_units:
        checks.append(_units_check(call, {} if outcome is None else outcome.unit_types_sent))
    return checks


def _duplicate_check(original: str, outcome: CallOutcome | None) -> Check:
    linked = outcome is not None and original in outcome.linked_to
    detail = f"{'linked' if linked else 'not linked'} to call {original!r}"
    return Check(name=DUPLICATE_LINKED, passed=linked, detail=detail)


def score_call(call: ScriptedCall, outcome: CallOutcome | None, targets: Targets) -> CallScore:
    """The checks of one scripted call; ``outcome`` is ``None`` when the call left no trace."""
    if call.duplicate_of is None:
        checks = _original_checks(call, outcome, targets)
    else:
        checks = [_duplicate_check(call.duplicate_of, outcome)]
    return CallScore(
        call_id=call.id,
        nature=call.nature,
        incident_id=None if outcome is None else outcome.incident_id,
        duplicate_of=call.duplicate_of,
        checks=checks,
    )


def _index(scenario: Scenario, outcomes: Sequence[CallOutcome]) -> dict[str, CallOutcome]:
    """Outcomes by call id; refuses outcomes of calls the scenario does not script."""
    known = {call.id for call in scenario.calls}
    by_id: dict[str, CallOutcome] = {}
    for outcome in outcomes:
        if outcome.call_id not in known:
            raise ValueError(f"outcome for call {outcome.call_id!r}, not in the scenario")
        if outcome.call_id in by_id:
            raise ValueError(f"two outcomes for call {outcome.call_id!r}")
        by_id[outcome.call_id] = outcome
    return by_id


def summarise(scenario: Scenario, by_id: Mapping[str, CallOutcome]) -> Summary:
    """Totals and response-time figures over the dispatched original calls."""
    originals = [call for call in scenario.calls if call.duplicate_of is None]
    processing: list[float] = []
    to_dispatch: list[float] = []
    for call in originals:
        outcome = by_id.get(call.id)
        if outcome is not None and outcome.first_dispatch_at is not None:
            processing.append(_seconds(outcome.first_dispatch_at - outcome.answered_at))
            to_dispatch.append(_seconds(outcome.first_dispatch_at - outcome.received_at))
    target = scenario.targets.call_processing_s
    within = sum(value <= target for value in processing)
    done = len(processing)
    return Summary(
        calls=len(scenario.calls),
        duplicates=len(scenario.calls) - len(originals),
        dispatched=done,
        call_processing_within_target=round(within / done, 4) if done else None,
        call_processing_p90_s=percentile(processing, 90),
        mean_first_dispatch_s=round(sum(to_dispatch) / done, 1) if done else None,
    )


def score(
    scenario: Scenario,
    outcomes: Sequence[CallOutcome],
    *,
    trainee: str,
    started_at: datetime,
    ended_at: datetime,
) -> ScoreReport:
    """Score a played scenario: one point per check passed, as a percentage of the possible.

    Raises ``ValueError`` for an outcome of a call the scenario does not have, or two
    outcomes of one call.
    """
    by_id = _index(scenario, outcomes)
    calls = [score_call(call, by_id.get(call.id), scenario.targets) for call in scenario.calls]
    points = sum(call.points for call in calls)
    possible = sum(len(call.checks) for call in calls)
    return ScoreReport(
        scenario=scenario.name,
        trainee=trainee,
        started_at=started_at,
        ended_at=ended_at,
        score=round(100 * points / possible, 1),
        points=points,
        possible=possible,
        targets=scenario.targets,
        calls=calls,
        summary=summarise(scenario, by_id),
    )
