"""Training scenarios: a YAML script of calls, outages and road closures. Pure: no database.

A scenario file is read by :mod:`signalfire.sim.yaml_lines`: YAML's safe semantics, except
that times such as ``1:30`` or ``1:02:03`` stay the strings they were written as (plain YAML
1.1 would read them as base-60 integers), so every offset goes through one parser:
:func:`parse_offset`.
Every problem in a file is reported at once, each with the line of the YAML node at fault::

    busy.yaml:14: calls[2].nature: unknown nature code 'FIRE-XYZ'; see GET /api/natures
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Self

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from signalfire.core.schemas import Timestamp, field_path
from signalfire.incidents.natures import DEFAULT_CATALOGUE
from signalfire.sim.yaml_lines import Loc, YamlSyntaxError, duplicate_keys, line_of, read_yaml
from signalfire.units.schemas import UnitType

_NATURES = frozenset(nature.code for nature in DEFAULT_CATALOGUE)
_CLOCK = re.compile(r"(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)")
_SECONDS = re.compile(r"\d+(?:\.\d*)?")
_OFFSET_HELP = "expected seconds, MM:SS or H:MM:SS"
SCENARIO_DIR = Path(__file__).parent / "scenarios"


def parse_offset(value: object) -> timedelta:
    """Offset from the start of a run: seconds (number or string), ``MM:SS`` or ``H:MM:SS``.

    Examples
    --------
    >>> [parse_offset(v).total_seconds() for v in (90, "01:30", "1:00:05", "2.5")]
    [90.0, 90.0, 3605.0, 2.5]
    >>> parse_offset("1:75")
    Traceback (most recent call last):
    ...
    ValueError: expected seconds, MM:SS or H:MM:SS, got '1:75' (seconds must be below 60)
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _clock_seconds(value.strip())
    else:
        raise ValueError(f"{_OFFSET_HELP}, got {value!r}")
    if seconds < 0:
        raise ValueError(f"an offset cannot be negative, got {value!r}")
    return timedelta(seconds=seconds)


def _clock_seconds(text: str) -> float:
    if _SECONDS.fullmatch(text):
        return float(text)
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError(f"{_OFFSET_HELP}, got {text!r}")
    hours, minutes, seconds = int(match[1] or 0), int(match[2]), float(match[3])
    if seconds >= 60 or (match[1] is not None and minutes >= 60):
        unit = "seconds" if seconds >= 60 else "minutes"
        raise ValueError(f"{_OFFSET_HELP}, got {text!r} ({unit} must be below 60)")
    return hours * 3600 + minutes * 60 + seconds


Offset = Annotated[timedelta, BeforeValidator(parse_offset)]
UnitCount = Annotated[int, Field(ge=1, le=20)]


class _FieldProblems(ValueError):
    """Problems found across fields, each at its own place below the model that raised it."""

    def __init__(self, items: Sequence[tuple[Loc, str]]) -> None:
        self.items = list(items)
        super().__init__("; ".join(f"{_dotted(loc)}: {msg}" for loc, msg in self.items))


def _raise_problems(items: Sequence[tuple[Loc, str]]) -> None:
    if items:
        raise _FieldProblems(items)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Place(_Model):
    """Where something happens: an ``address`` for the geocoder, or ``lat`` and ``lon``."""

    address: str | None = Field(None, min_length=1, max_length=200)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        has_point = self.lat is not None or self.lon is not None
        if self.address is not None and has_point:
            raise ValueError("give either address or lat and lon, not both")
        if self.address is None and not has_point:
            raise ValueError("give an address or lat and lon")
        if has_point and (self.lat is None or self.lon is None):
            missing = "lon" if self.lon is None else "lat"
            _raise_problems([((missing,), "lat and lon go together")])
        return self


class ScriptedCall(_Model):
    """One call the simulator places at ``at`` after the start."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    at: Offset
    nature: str
    location: Place
    caller_name: str | None = Field(None, max_length=200)
    caller_number: str | None = Field(None, max_length=40)
    text: str = Field(min_length=1, max_length=500, description="What the caller says.")
    duplicate_of: str | None = None
    expect_units: dict[UnitType, UnitCount] = Field(default_factory=dict)

    @field_validator("nature")
    @classmethod
    def _known_nature(cls, code: str) -> str:
        if code not in _NATURES:
            raise ValueError(f"unknown nature code {code!r}; see GET /api/natures")
        return code

    @model_validator(mode="after")
    def _duplicate_expects_nothing(self) -> Self:
        if self.duplicate_of is not None and self.expect_units:
            _raise_problems([(("expect_units",), "a duplicate call expects no units of its own")])
        return self


def _check_until(at: timedelta, until: timedelta | None) -> None:
    if until is not None and until <= at:
        _raise_problems([(("until",), f"must be after at ({_clock(at)}), got {_clock(until)}")])


class Outage(_Model):
    """A unit out of service from ``at`` until ``until`` (or the end of the run)."""

    unit: str = Field(min_length=1, max_length=32, description="Callsign.")
    at: Offset
    until: Offset | None = None
    reason: str = Field("out of service", max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _check_until(self.at, self.until)
        return self


class ClosureSpec(_Model):
    """The road nearest ``near`` is closed from ``at`` until ``until`` (or the end)."""

    near: Place
    at: Offset
    until: Offset | None = None
    reason: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _check_until(self.at, self.until)
        return self


class Targets(_Model):
    """Time targets, in seconds, the trainee is scored against."""

    call_processing_s: float = Field(
        60.0, gt=0, description="NFPA 1225 alarm processing: call answered to first dispatch."
    )
    first_dispatch_s: float = Field(90.0, gt=0, description="Call received to first dispatch.")
    answer_s: float = Field(
        15.0, ge=0, description="The simulated call-taker answers this long after the call."
    )


class Scenario(_Model):
    """A training run: scripted calls over ``duration``, with outages and road closures."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    start: Timestamp | None = Field(None, description="Simulated start; None is now.")
    duration: Offset
    agency: str = Field("FIRE", pattern=r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
    calls: list[ScriptedCall] = Field(min_length=1)
    outages: list[Outage] = Field(default_factory=list)
    closures: list[ClosureSpec] = Field(default_factory=list)
    targets: Targets = Field(default_factory=Targets)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _raise_problems([*self._late_items(), *self._call_references()])
        return self

    def _late_items(self) -> Iterator[tuple[Loc, str]]:
        items: list[tuple[str, Sequence[Outage | ClosureSpec | ScriptedCall]]] = [
            ("calls", self.calls),
            ("outages", self.outages),
            ("closures", self.closures),
        ]
        for name, entries in items:
            for i, entry in enumerate(entries):
                if entry.at >= self.duration:
                    message = (
                        f"must be before the end ({_clock(self.duration)}), got {_clock(entry.at)}"
                    )
                    yield (name, i, "at"), message

    def _call_references(self) -> Iterator[tuple[Loc, str]]:
        by_id: dict[str, ScriptedCall] = {}
        for i, call in enumerate(self.calls):
            if call.id in by_id:
                yield ("calls", i, "id"), f"call id {call.id!r} is used twice"
            by_id.setdefault(call.id, call)
        for i, call in enumerate(self.calls):
            if call.duplicate_of is None:
                continue
            original = by_id.get(call.duplicate_of)
            loc: Loc = ("calls", i, "duplicate_of")
            if original is None:
                yield loc, f"no call with id {call.duplicate_of!r}; known: {', '.join(by_id)}"
            elif original.at >= call.at:
                yield loc, f"call {original.id!r} must come earlier than this one"
            elif original.duplicate_of is not None:
                yield loc, f"call {original.id!r} is itself a duplicate; name the original"


def _clock(offset: timedelta) -> str:
    """``H:MM:SS`` or ``MM:SS`` of an offset.

    >>> _clock(timedelta(seconds=95)), _clock(timedelta(hours=1, seconds=5))
    ('01:35', '1:00:05')
    """
    seconds = round(offset.total_seconds())
    hours, rest = divmod(seconds, 3600)
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    return f"{hours}:{text}" if hours else text


def _dotted(loc: Loc) -> str:
    """A pydantic location as a field path; the whole scenario when empty.

    >>> _dotted(("calls", 2, "nature")), _dotted(())
    ('calls[2].nature', 'scenario')
    """
    return field_path(loc) or "scenario"


# --- errors -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario file: its line (1-based), field path and message."""

    line: int | None
    field: str
    message: str

    def format(self, source: str) -> str:
        """``FILE:LINE: field: message``.

        >>> Problem(14, "calls[2].nature", "unknown").format("busy.yaml")
        'busy.yaml:14: calls[2].nature: unknown'
        """
        where = source if self.line is None else f"{source}:{self.line}"
        return f"{where}: {self.field}: {self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``str()`` lists every problem, one per line."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        super().__init__("\n".join(problem.format(source) for problem in self.problems))


# --- mapping validation errors to lines ---------------------------------------------------


def _field_names() -> set[str]:
    models = (Scenario, ScriptedCall, Place, Outage, ClosureSpec, Targets)
    return {name for model in models for name in model.model_fields}


def _message(detail: ErrorDetails, loc: Loc) -> str:
    kind = detail["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        close = get_close_matches(str(loc[-1]), sorted(_field_names()), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown field {loc[-1]!r}{hint}"
    if kind == "string_type" and isinstance(detail["input"], int | float):
        return f"expected text, got {detail['input']!r}; put the value in quotes"
    return detail["msg"].removeprefix("Value error, ")


def _problems(detail: ErrorDetails, root: yaml.Node | None) -> list[Problem]:
    """Problems of one pydantic error, each at the line of its YAML node."""
    loc: Loc = tuple(part for part in detail["loc"] if part != "[key]")
    cause = detail.get("ctx", {}).get("error")
    if isinstance(cause, _FieldProblems):
        return [
            Problem(line_of(root, (*loc, *sub)), _dotted((*loc, *sub)), message)
            for sub, message in cause.items
        ]
    key_line = detail["type"] == "extra_forbidden"
    return [Problem(line_of(root, loc, key_line=key_line), _dotted(loc), _message(detail, loc))]


# --- public entry points ------------------------------------------------------------------


def parse_scenario(text: str, *, source: str = "<scenario>") -> Scenario:
    """A scenario from YAML text; raises :class:`ScenarioError` listing every problem."""
    try:
        root, data = read_yaml(text)
    except YamlSyntaxError as error:
        problem = Problem(error.line, "yaml", error.message)
        raise ScenarioError(source, [problem]) from error.__cause__
    if root is None:
        raise ScenarioError(source, [Problem(None, "scenario", "the file is empty")])
    problems = [
        Problem(line, _dotted(loc), f"key {loc[-1]!r} is given twice")
        for loc, line in duplicate_keys(root)
    ]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        problems += [p for detail in error.errors() for p in _problems(detail, root)]
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def load_scenario(path: Path) -> Scenario:
    """The scenario in a YAML file; :class:`ScenarioError` if unreadable or invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = (error.strerror if isinstance(error, OSError) else None) or str(error)
        problem = Problem(None, "scenario", f"cannot read: {reason}")
        raise ScenarioError(str(path), [problem]) from error
    return parse_scenario(text, source=str(path))


def builtin_scenarios() -> dict[str, Path]:
    """The scenarios shipped with Signalfire, by name (the file stem)."""
    return {path.stem: path for path in sorted(SCENARIO_DIR.glob("*.yaml"))}


def resolve_scenario(name_or_path: str) -> Path:
    """The file of a builtin scenario name, or ``name_or_path`` itself if it is a file."""
    builtins = builtin_scenarios()
    if name_or_path in builtins:
        return builtins[name_or_path]
    path = Path(name_or_path)
    if path.is_file():
        return path
    message = f"no such builtin scenario or file; builtins: {', '.join(builtins) or 'none'}"
    raise ScenarioError(name_or_path, [Problem(None, "scenario", message)])
