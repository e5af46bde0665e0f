"""Base classes and shared field types for request and response bodies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_RANGE = f"{EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} UTC"


def _in_range(value: datetime) -> datetime:
    # Compared as aware datetimes, never converted: 9999-12-31T23:59:59-14:00 is a valid
    # datetime whose UTC value is not, and converting it is what overflows.
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"a time between {_RANGE} is expected")
    return value


Timestamp = Annotated[
    AwareDatetime,
    AfterValidator(_in_range),
    Field(description=f"ISO 8601 with a zone, between {_RANGE}."),
]
"""An input time: timezone-aware and within a range every database and clock can hold."""

Latitude = Annotated[float, Field(ge=-90, le=90, strict=True, description="Degrees north.")]
"""A latitude: a JSON number (``true`` is not 1.0) between -90 and 90."""

Longitude = Annotated[float, Field(ge=-180, le=180, strict=True, description="Degrees east.")]
"""A longitude: a JSON number between -180 and 180."""


def field_path(location: Iterable[object]) -> str:
    """A pydantic error location as a field name: names dotted, list indexes in brackets.

    >>> field_path(("body", "roles", 0)), field_path(("calls", 2, "nature")), field_path(())
    ('body.roles[0]', 'calls[2].nature', '')
    """
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)
    return text.lstrip(".")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character(value: str) -> str | None:
    """Why ``value`` is not text a person typed, or ``None`` when it is.

    Tab, line feed and carriage return are text; NUL and the other C0 controls are not.

    >>> control_character("two\\nlines")
    >>> control_character("a\\x00b")
    'control character U+0000 at position 1 is not allowed (tab, line feed and carriage return are)'
    """
    found = _CONTROL.search(value)
    if found is None:
        return None
    return (
        f"control character U+{ord(found.group()):04X} at position {found.start()} "
        "is not allowed (tab, line feed and carriage return are)"
    )


def _strings(value: object, where: str) -> Iterator[tuple[str, str]]:
    """``(where, text)`` of every string in a field's value (lists and dicts included)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, f"{where} key")
            yield from _strings(item, f"{where}.{key}")


class RequestBody(BaseModel):
    """A request body: unknown fields are refused, strings trimmed, and no string holds a
    NUL or another control character (a nested body checks its own fields)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="after")
    def _no_control_characters(self) -> RequestBody:
        for name in type(self).model_fields:
            for where, text in _strings(getattr(self, name), name):
                problem = control_character(text)
                if problem is not None:
                    raise ValueError(f"{where}: {problem}")
        return self


class ResponseBody(BaseModel):
    """A response body, readable straight from ORM objects."""

    model_config = ConfigDict(from_attributes=True)
