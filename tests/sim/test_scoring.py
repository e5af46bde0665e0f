"""Scoring a played scenario from hand-built outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from signalfire.sim.scenario import Scenario, parse_scenario
from signalfire.sim.scoring import (
    CALL_PROCESSING,
    DUPLICATE_LINKED,
    FIRST_DISPATCH,
    UNIT_TYPES,
    CallOutcome,
    Check,
    ScoreReport,
    percentile,
    score,
)

T0 = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
END = T0 + timedelta(minutes=25)

SCENARIO = """\
name: Scoring test
duration: "25:00"
calls:
  - id: fire
    at: 60
    nature: FIRE-STRUCTURE
    location: {address: Fredrikinkatu 41}
    text: Smoke from the third floor.
    expect_units: {engine: 2, ladder: 1}
  - id: dup
    at: 120
    nature: FIRE-STRUCTURE
    location: {address: Lönnrotinkatu 13}
    text: I can see the fire from across the yard.
    duplicate_of: fire
  - id: fall
    at: 300
    nature: MED-FALL
    location: {lat: 60.1673, lon: 24.9364}
    text: My father fell.
"""


@pytest.fixture
def scenario() -> Scenario:
    return parse_scenario(SCENARIO)


def outcome(
    call_id: str,
    *,
    at: float,
    answer: float = 15,
    dispatch: float | None = None,
    sent: Mapping[str, int] | None = None,
    linked: frozenset[str] = frozenset(),
    incident: int | None = 1,
) -> CallOutcome:
    """An outcome received ``at`` s into the run, answered and dispatched after it (in s)."""
    received = T0 + timedelta(seconds=at)
    return CallOutcome(
        call_id=call_id,
        incident_id=incident,
        received_at=received,
        answered_at=received + timedelta(seconds=answer),
        first_dispatch_at=None if dispatch is None else received + timedelta(seconds=dispatch),
        unit_types_sent=sent or {},
        linked_to=linked,
    )


def run(scenario: Scenario, *outcomes: CallOutcome) -> ScoreReport:
    return score(scenario, outcomes, trainee="ada", started_at=T0, ended_at=END)


def checks(report: ScoreReport, call_id: str) -> dict[str, Check]:
    (call,) = [c for c in report.calls if c.call_id == call_id]
    return {check.name: check for check in call.checks}


def perfect(scenario: Scenario) -> list[CallOutcome]:
    return [
        outcome("fire", at=60, dispatch=50, sent={"engine": 2, "ladder": 1}, incident=7),
        outcome("dup", at=120, linked=frozenset({"fire"}), incident=8),
        outcome("fall", at=300, dispatch=70, sent={"bls_ambulance": 1}, incident=9),
    ]


def test_perfect_run_scores_100(scenario: Scenario) -> None:
    report = run(scenario, *perfect(scenario))
    assert (report.score, report.points, report.possible) == (100.0, 6, 6)
    assert [c.call_id for c in report.calls] == ["fire", "dup", "fall"]
    assert [c.incident_id for c in report.calls] == [7, 8, 9]
    assert list(checks(report, "fire")) == [CALL_PROCESSING, FIRST_DISPATCH, UNIT_TYPES]
    assert list(checks(report, "dup")) == [DUPLICATE_LINKED]
    assert list(checks(report, "fall")) == [CALL_PROCESSING, FIRST_DISPATCH]
    fire = checks(report, "fire")
    assert (fire[CALL_PROCESSING].value, fire[CALL_PROCESSING].target) == (35.0, 60.0)
    assert (fire[FIRST_DISPATCH].value, fire[FIRST_DISPATCH].target) == (50.0, 90.0)
    assert fire[UNIT_TYPES].detail == "sent 2 engine, 1 ladder"
    assert checks(report, "dup")[DUPLICATE_LINKED].detail == "linked to call 'fire'"


def test_three_of_four_points_is_75() -> None:
    two = parse_scenario(SCENARIO.split("  - id: fall")[0])
    report = run(
        two,
        outcome("fire", at=60, dispatch=50, sent={"engine": 2, "chief": 1}),
        outcome("dup", at=120, linked=frozenset({"fire"})),
    )
    assert (report.score, report.points, report.possible) == (75.0, 3, 4)
    units = checks(report, "fire")[UNIT_TYPES]
    assert not units.passed
    assert units.detail == "missing 1 ladder"
    assert (units.value, units.target) == (2.0, 3.0)


def test_score_has_one_decimal(scenario: Scenario) -> None:
    outcomes = perfect(scenario)
    outcomes[1] = outcome("dup", at=120, linked=frozenset())
    assert run(scenario, *outcomes).score == 83.3  # 5 of 6
    outcomes[0] = outcome("fire", at=60, dispatch=50, sent={"ladder": 1})
    report = run(scenario, *outcomes)
    assert (report.points, report.score) == (4, 66.7)
    assert checks(report, "fire")[UNIT_TYPES].detail == "missing 2 engine"


def test_nothing_done_scores_zero(scenario: Scenario) -> None:
    report = run(scenario)
    assert (report.score, report.points, report.possible) == (0.0, 0, 6)
    fire = checks(report, "fire")
    for name in (CALL_PROCESSING, FIRST_DISPATCH):
        assert not fire[name].passed
        assert fire[name].value is None
        assert fire[name].detail == "no unit dispatched"
    assert fire[UNIT_TYPES].detail == "missing 2 engine, 1 ladder"
    assert checks(report, "dup")[DUPLICATE_LINKED].detail == "not linked to call 'fire'"
    assert all(call.incident_id is None for call in report.calls)
    assert report.summary.dispatched == 0
    assert report.summary.call_processing_within_target is None
    assert report.summary.call_processing_p90_s is None
    assert report.summary.mean_first_dispatch_s is None


def test_answered_but_not_dispatched_fails_time_checks(scenario: Scenario) -> None:
    report = run(scenario, outcome("fall", at=300, incident=4))
    fall = checks(report, "fall")
    assert not fall[CALL_PROCESSING].passed
    assert not fall[FIRST_DISPATCH].passed
    assert fall[CALL_PROCESSING].detail == "no unit dispatched"
    assert report.calls[2].incident_id == 4


@pytest.mark.parametrize(
    ("answer", "dispatch", "processing_ok", "first_ok"),
    [
        (15, 75, True, True),  # exactly on the 60 s processing target
        (15, 75.2, False, True),  # just over it
        (40, 90, True, True),  # slow answer, quick processing, exactly 90 s overall
        (40, 95, True, False),  # slow answer pushes the first dispatch over 90 s
        (5, 70, False, True),  # quick answer, slow processing
    ],
)
def test_time_targets(
    scenario: Scenario, answer: float, dispatch: float, processing_ok: bool, first_ok: bool
) -> None:
    report = run(scenario, outcome("fall", at=300, answer=answer, dispatch=dispatch))
    fall = checks(report, "fall")
    assert fall[CALL_PROCESSING].passed is processing_ok
    assert fall[FIRST_DISPATCH].passed is first_ok
    assert fall[CALL_PROCESSING].value == round(dispatch - answer, 1)
    assert fall[FIRST_DISPATCH].value == dispatch


def test_targets_come_from_the_scenario() -> None:
    strict = parse_scenario(SCENARIO + "targets: {call_processing_s: 30, first_dispatch_s: 40}\n")
    report = run(strict, outcome("fall", at=300, dispatch=50))
    fall = checks(report, "fall")
    assert (fall[CALL_PROCESSING].passed, fall[CALL_PROCESSING].target) == (False, 30.0)
    assert (fall[FIRST_DISPATCH].passed, fall[FIRST_DISPATCH].target) == (False, 40.0)
    assert report.targets.call_processing_s == 30.0


def test_duplicate_linked_to_the_wrong_call_fails(scenario: Scenario) -> None:
    report = run(scenario, outcome("dup", at=120, dispatch=30, linked=frozenset({"fall"})))
    dup = checks(report, "dup")
    assert list(dup) == [DUPLICATE_LINKED]
    assert not dup[DUPLICATE_LINKED].passed


def test_summary_counts_dispatched_originals_only(scenario: Scenario) -> None:
    report = run(
        scenario,
        outcome("fire", at=60, answer=15, dispatch=95),  # processing 80 s: over
        outcome("dup", at=120, answer=10, dispatch=20, linked=frozenset({"fire"})),
        outcome("fall", at=300, answer=15, dispatch=45),  # processing 30 s: within
    )
    summary = report.summary
    assert (summary.calls, summary.duplicates, summary.dispatched) == (3, 1, 2)
    assert summary.call_processing_within_target == 0.5
    assert summary.call_processing_p90_s == 80.0
    assert summary.mean_first_dispatch_s == 70.0


def test_outcomes_must_match_scripted_calls(scenario: Scenario) -> None:
    with pytest.raises(ValueError, match="outcome for call 'ghost', not in the scenario"):
        run(scenario, outcome("ghost", at=1))
    with pytest.raises(ValueError, match="two outcomes for call 'fire'"):
        run(scenario, outcome("fire", at=60), outcome("fire", at=60))


def test_report_round_trips_through_json(scenario: Scenario) -> None:
    report = run(scenario, *perfect(scenario))
    assert ScoreReport.model_validate_json(report.model_dump_json()) == report
    assert report.trainee == "ada"
    assert report.scenario == "Scoring test"
    assert (report.started_at, report.ended_at) == (T0, END)


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [
        ([], 90, None),
        ([42.0], 90, 42.0),
        ([10.0, 20.0], 90, 20.0),
        ([float(v) for v in range(1, 21)], 90, 18.0),
        ([5.0, 1.0, 4.0, 2.0, 3.0], 50, 3.0),
        ([5.0, 1.0, 4.0], 0, 1.0),
        ([5.0, 1.0, 4.0], 100, 5.0),
    ],
)
def test_percentile_nearest_rank(values: list[float], pct: float, expected: float | None) -> None:
    assert percentile(values, pct) == expected
