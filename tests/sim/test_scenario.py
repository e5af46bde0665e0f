"""The YAML scenario format: offsets, validation, error lines, and the shipped scenarios."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pydantic
import pytest

from signalfire.geo.geocode import Geocoder
from signalfire.geo.network import RoadNetwork
from signalfire.sim.scenario import (
    Place,
    Problem,
    Scenario,
    ScenarioError,
    builtin_scenarios,
    load_scenario,
    parse_offset,
    parse_scenario,
    resolve_scenario,
)
from signalfire.units.schemas import UnitType

CALL = """\
  - id: {id}
    at: {at}
    nature: {nature}
    location: {{address: Mannerheimintie 5}}
    text: Something happened.
"""


def scenario_text(*calls: str, head: str = "name: test\nduration: 20:00\n") -> str:
    """A scenario with ``calls`` (each a YAML list item) under ``calls:``."""
    return head + "calls:\n" + "".join(calls)


def call(id: str = "a", at: str = "1:00", nature: str = "FIRE-ALARM", extra: str = "") -> str:
    return CALL.format(id=id, at=at, nature=nature) + textwrap.indent(extra, "    ")


def errors(text: str, source: str = "s.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source=source)
    return str(caught.value).splitlines()


# --- parsing a good scenario ----------------------------------------------------------------


def test_minimal_scenario_gets_defaults() -> None:
    scenario = parse_scenario(scenario_text(call()))
    assert scenario.name == "test"
    assert scenario.duration == timedelta(minutes=20)
    assert scenario.agency == "FIRE"
    assert scenario.start is None
    assert scenario.outages == []
    assert scenario.closures == []
    assert scenario.targets.call_processing_s == 60.0
    assert scenario.targets.first_dispatch_s == 90.0
    assert scenario.targets.answer_s == 15.0
    only = scenario.calls[0]
    assert (only.id, only.at, only.nature) == ("a", timedelta(minutes=1), "FIRE-ALARM")
    assert only.location == Place(address="Mannerheimintie 5")
    assert only.duplicate_of is None
    assert only.expect_units == {}


def test_full_call_fields_round_trip() -> None:
    extra = textwrap.dedent("""\
        caller_name: Aino
        caller_number: "+358401234567"
        expect_units: {engine: 2, als_ambulance: 1}
        """)
    head = "name: t\nduration: 1:00:00\nstart: 2026-12-05T23:00:00+02:00\nagency: EMS\n"
    scenario = parse_scenario(scenario_text(call(extra=extra), head=head))
    assert scenario.start is not None
    assert scenario.start.utcoffset() == timedelta(hours=2)
    assert scenario.start.astimezone(UTC) == datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
    assert scenario.agency == "EMS"
    only = scenario.calls[0]
    assert only.caller_name == "Aino"
    assert only.caller_number == "+358401234567"
    assert only.expect_units == {UnitType.ENGINE: 2, UnitType.ALS_AMBULANCE: 1}


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("90", 90),
        ("90.5", 90.5),
        ("0", 0),
        ("1:30", 90),  # YAML 1.1 would read this as a base-60 integer
        ("01:30", 90),
        ("20:00", 1200),
        ("59:59", 3599),
        ("1:02:03", 3723),
        ("01:00:00", 3600),
        ("'1:30'", 90),
        ('"75"', 75),
    ],
)
def test_offsets_in_yaml(written: str, seconds: float) -> None:
    head = "name: t\nduration: 2:00:00\n"
    scenario = parse_scenario(scenario_text(call(at=written), head=head))
    assert scenario.calls[0].at.total_seconds() == seconds


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("1:75", "calls[0].at: expected seconds, MM:SS or H:MM:SS, got '1:75'"),
        ("1:75:00", "calls[0].at: expected seconds, MM:SS or H:MM:SS, got '1:75:00'"),
        ("soon", "calls[0].at: expected seconds, MM:SS or H:MM:SS, got 'soon'"),
        ("1:2:3:4", "calls[0].at: expected seconds, MM:SS or H:MM:SS, got '1:2:3:4'"),
        ("true", "calls[0].at: expected seconds, MM:SS or H:MM:SS, got True"),
        ("-5", "calls[0].at: an offset cannot be negative, got -5"),
    ],
)
def test_bad_offsets_are_named(written: str, message: str) -> None:
    (line,) = errors(scenario_text(call(at=written)))
    assert line.startswith(f"s.yaml:5: {message}")


def test_parse_offset_accepts_timedelta_and_refuses_other_types() -> None:
    assert parse_offset(timedelta(seconds=5)) == timedelta(seconds=5)
    with pytest.raises(ValueError, match="expected seconds, MM:SS or H:MM:SS, got None"):
        parse_offset(None)


def test_clock_like_text_stays_text() -> None:
    extra = "caller_name: 1:30\ncaller_number: '0401234567'\n"
    scenario = parse_scenario(scenario_text(call(extra=extra)))
    assert scenario.calls[0].caller_name == "1:30"
    assert scenario.calls[0].caller_number == "0401234567"


def test_unquoted_phone_number_gets_a_quoting_hint() -> None:
    (line,) = errors(scenario_text(call(extra="caller_number: 0401234567\n")))
    assert line.startswith("s.yaml:9: calls[0].caller_number: expected text, got ")
    assert line.endswith("put the value in quotes")


def test_scenarios_are_frozen() -> None:
    scenario = parse_scenario(scenario_text(call()))
    with pytest.raises(pydantic.ValidationError):
        scenario.name = "other"  # type: ignore[misc]


# --- problems, each at its line -------------------------------------------------------------


def test_unknown_nature_names_code_and_line() -> None:
    text = scenario_text(call("a", "1:00"), call("b", "2:00"), call("c", "3:00", "FIRE-XYZ"))
    assert errors(text, "busy.yaml") == [
        "busy.yaml:16: calls[2].nature: unknown nature code 'FIRE-XYZ'; see GET /api/natures"
    ]


def test_every_problem_is_listed_in_line_order() -> None:
    text = scenario_text(
        call("a", "1:75", "FIRE-XYZ"),
        call("B", "2:00", extra="expect_units: {lader: 1, engine: 30}\n"),
    )
    assert errors(text) == [
        "s.yaml:5: calls[0].at: expected seconds, MM:SS or H:MM:SS, got '1:75' "
        "(seconds must be below 60)",
        "s.yaml:6: calls[0].nature: unknown nature code 'FIRE-XYZ'; see GET /api/natures",
        "s.yaml:9: calls[1].id: String should match pattern '^[a-z0-9][a-z0-9-]{0,39}$'",
        "s.yaml:14: calls[1].expect_units.lader: Input should be 'engine', 'ladder', 'rescue', "
        "'tanker', 'hazmat', 'brush', 'chief', 'als_ambulance', 'bls_ambulance', "
        "'ems_supervisor', 'patrol', 'police_supervisor', 'k9' or 'boat'",
        "s.yaml:14: calls[1].expect_units.engine: Input should be less than or equal to 20",
    ]


def test_problems_are_kept_as_data() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(scenario_text(call(nature="NOPE")), source="x.yaml")
    assert caught.value.source == "x.yaml"
    assert caught.value.problems == [
        Problem(6, "calls[0].nature", "unknown nature code 'NOPE'; see GET /api/natures")
    ]


def test_missing_field_points_at_parent_mapping() -> None:
    text = scenario_text("  - id: a\n    nature: FIRE-ALARM\n    location: {address: X 1}\n")
    assert errors(text) == [
        "s.yaml:4: calls[0].at: required field is missing",
        "s.yaml:4: calls[0].text: required field is missing",
    ]
    assert errors("name: t\ncalls: []\n") == [
        "s.yaml:1: duration: required field is missing",
        "s.yaml:2: calls: List should have at least 1 item after validation, not 0",
    ]


def test_unknown_key_points_at_the_key_and_suggests() -> None:
    extra = "expect_unit:\n  engine: 1\n"
    assert errors(scenario_text(call(extra=extra))) == [
        "s.yaml:9: calls[0].expect_unit: unknown field 'expect_unit'; did you mean 'expect_units'?"
    ]


def test_key_given_twice_is_a_problem() -> None:
    assert errors(scenario_text(call(extra="text: Again.\n"))) == [
        "s.yaml:9: calls[0].text: key 'text' is given twice"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: [unclosed\n", "s.yaml:2: yaml: "),
        ("name: t\n  bad: indent: here\n", "s.yaml:2: yaml: mapping values are not allowed here"),
        ("", "s.yaml: scenario: the file is empty"),
        ("- a list\n", "s.yaml:1: scenario: Input should be a valid dictionary"),
    ],
)
def test_unusable_documents(text: str, expected: str) -> None:
    (line,) = errors(text)
    assert line.startswith(expected)


def test_place_needs_exactly_one_form() -> None:
    both = "  - id: a\n    at: 10\n    nature: MED-FALL\n    text: x\n"
    text = scenario_text(
        both + "    location: {address: X 1, lat: 60.1, lon: 24.9}\n",
        both.replace("id: a", "id: b") + "    location: {}\n",
        both.replace("id: a", "id: c") + "    location:\n      lat: 60.1\n",
    )
    assert errors(text) == [
        "s.yaml:8: calls[0].location: give either address or lat and lon, not both",
        "s.yaml:13: calls[1].location: give an address or lat and lon",
        "s.yaml:18: calls[2].location.lon: lat and lon go together",
    ]
    assert Place(lat=60.17, lon=24.94).address is None


def test_duplicate_of_must_name_an_earlier_original() -> None:
    text = scenario_text(
        call("first", "1:00"),
        call("unknown", "2:00", extra="duplicate_of: nobody\n"),
        call("later", "0:30", extra="duplicate_of: first\n"),
        call("repeat", "3:00", extra="duplicate_of: first\n"),
        call("chain", "4:00", extra="duplicate_of: repeat\n"),
        call("first", "5:00"),
    )
    assert errors(text) == [
        "s.yaml:14: calls[1].duplicate_of: no call with id 'nobody'; known: first, unknown, "
        "later, repeat, chain",
        "s.yaml:20: calls[2].duplicate_of: call 'first' must come earlier than this one",
        "s.yaml:32: calls[4].duplicate_of: call 'repeat' is itself a duplicate; name the original",
        "s.yaml:33: calls[5].id: call id 'first' is used twice",
    ]


def test_duplicate_expects_no_units() -> None:
    extra = "duplicate_of: a\nexpect_units: {engine: 1}\n"
    assert errors(scenario_text(call("a"), call("b", "2:00", extra=extra))) == [
        "s.yaml:15: calls[1].expect_units: a duplicate call expects no units of its own"
    ]


def test_until_must_follow_at() -> None:
    text = scenario_text(call("a", "19:59")) + textwrap.dedent("""\
        outages:
          - {unit: E1, at: "5:00", until: "4:00"}
          - {unit: E2, at: "5:00", until: "30:00"}
        closures:
          - near: {lat: 60.17, lon: 24.94}
            at: 0
            until: 0
            reason: works
        """)
    assert errors(text) == [
        "s.yaml:10: outages[0].until: must be after at (05:00), got 04:00",
        "s.yaml:15: closures[0].until: must be after at (00:00), got 00:00",
    ]


def test_everything_starts_before_the_end() -> None:
    text = scenario_text(call("a", "20:00")) + textwrap.dedent("""\
        outages:
          - {unit: E2, at: "21:00"}
        closures:
          - {near: {address: Kaivokatu 8}, at: "19:59", reason: works}
        """)
    assert errors(text) == [
        "s.yaml:5: calls[0].at: must be before the end (20:00), got 20:00",
        "s.yaml:10: outages[0].at: must be before the end (20:00), got 21:00",
    ]


def test_start_must_carry_a_timezone() -> None:
    head = "name: t\nduration: 600\nstart: 2026-12-05T23:00:00\n"
    (line,) = errors(scenario_text(call(), head=head))
    assert line.startswith("s.yaml:3: start: Input should have timezone info")


def test_python_construction_validates_too() -> None:
    first = {"id": "a", "at": 90, "nature": "MED-FALL", "location": {"address": "X"}, "text": "x"}
    data = {"name": "t", "duration": 60, "calls": [first]}
    with pytest.raises(pydantic.ValidationError, match=r"calls\[0\]\.at: must be before the end"):
        Scenario.model_validate(data)


# --- files and names ------------------------------------------------------------------------


def test_load_scenario_names_the_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError, match=r"nope\.yaml: scenario: cannot read"):
        load_scenario(missing)


def test_load_scenario_reports_the_path(tmp_path: Path) -> None:
    path = tmp_path / "busy.yaml"
    path.write_text(scenario_text(call(nature="FIRE-XYZ")), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}:6: calls[0].nature: unknown nature code")


def test_resolve_scenario_by_name_or_path(tmp_path: Path) -> None:
    assert resolve_scenario("night_shift") == builtin_scenarios()["night_shift"]
    own = tmp_path / "mine.yaml"
    own.write_text(scenario_text(call()), encoding="utf-8")
    assert resolve_scenario(str(own)) == own
    with pytest.raises(ScenarioError) as caught:
        resolve_scenario("no_such_thing")
    message = str(caught.value)
    assert message.startswith("no_such_thing: scenario: no such builtin scenario or file")
    assert "multi_vehicle_collision, night_shift, structure_fire" in message


# --- the shipped scenarios ------------------------------------------------------------------

SHIPPED = ["multi_vehicle_collision", "night_shift", "structure_fire"]
DEMO_CALLSIGNS = {"E1", "E2", "E3", "L1", "R1", "C1", "M1", "M2", "M3", "M4", "B1", "B2"}
DEMO_CALLSIGNS |= {"P1", "P2", "P3", "P4", "PS1"}


def test_builtin_scenarios_are_shipped() -> None:
    found = builtin_scenarios()
    assert sorted(found) == SHIPPED
    assert all(path.is_file() and path.suffix == ".yaml" for path in found.values())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_parses(name: str) -> None:
    scenario = load_scenario(builtin_scenarios()[name])
    assert scenario.agency in {"FIRE", "EMS", "POLICE"}
    assert {outage.unit for outage in scenario.outages} <= DEMO_CALLSIGNS
    originals = [c for c in scenario.calls if c.duplicate_of is None]
    assert all(c.expect_units for c in originals), "every original call says what to send"
    assert any(c.duplicate_of for c in scenario.calls)


def test_shipped_scenarios_have_their_shape() -> None:
    crash = load_scenario(builtin_scenarios()["multi_vehicle_collision"])
    assert crash.calls[0].nature == "TC-INJURY"
    assert 2 <= len(crash.calls) - 1 <= 3
    assert all(c.duplicate_of == crash.calls[0].id for c in crash.calls[1:])
    assert all(c.at - crash.calls[0].at <= timedelta(minutes=5) for c in crash.calls)
    fire = load_scenario(builtin_scenarios()["structure_fire"])
    assert fire.calls[0].expect_units[UnitType.LADDER] == 1
    assert fire.outages
    assert fire.closures
    night = load_scenario(builtin_scenarios()["night_shift"])
    assert night.start is not None
    assert night.start.hour == 23
    assert 8 <= len(night.calls) <= 12
    assert len({c.nature for c in night.calls}) >= 8


@pytest.fixture(scope="module")
def geocoder(tmp_path_factory: pytest.TempPathFactory) -> Geocoder:
    return RoadNetwork(None, tmp_path_factory.mktemp("roads")).geocoder()


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_places_are_in_the_demo_city(name: str, geocoder: Geocoder) -> None:
    scenario = load_scenario(builtin_scenarios()[name])
    places = [c.location for c in scenario.calls] + [c.near for c in scenario.closures]
    for place in places:
        if place.address is not None:
            found = geocoder.search(place.address)
            assert found, place.address
            assert found[0].confidence >= 0.5, (place.address, found[0])
        else:
            assert place.lat is not None
            assert place.lon is not None
            assert 60.160 <= place.lat <= 60.175, place
            assert 24.92 <= place.lon <= 24.96, place
