"""Base classes and shared field types for request and response bodies."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

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

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str) -> str:
    found = _CONTROL.search(value)
    if found:
        raise ValueError(
            f"control character U+{ord(found.group()):04X} at position {found.start()} "
            "is not allowed (tab, line feed and carriage return are)"
        )
    return value


FreeText = Annotated[str, AfterValidator(_no_control)]
"""Free text typed by a person: no NUL or other control characters but tab and new lines."""


class RequestBody(BaseModel):
    """A request body: unknown fields are refused, strings trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseBody(BaseModel):
    """A response body, readable straight from ORM objects."""

    model_config = ConfigDict(from_attributes=True)
