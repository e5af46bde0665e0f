"""Request and response bodies of the incidents API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from signalfire.core.schemas import Latitude, Longitude, RequestBody, ResponseBody, Timestamp
from signalfire.incidents.intervals import Kind
from signalfire.incidents.natures import Discipline


class IncidentStatus(StrEnum):
    NEW = "new"
    PENDING = "pending"
    DISPATCHED = "dispatched"
    ON_SCENE = "on_scene"
    CLOSED = "closed"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset(
    {IncidentStatus.NEW, IncidentStatus.PENDING, IncidentStatus.DISPATCHED, IncidentStatus.ON_SCENE}
)

LocationSource = Literal["caller_device", "geocoded", "manual", "alarm", "camera", "unit"]
IncidentSource = Literal["call", "alarm", "camera", "api"]
TimeSource = Literal["system", "telephony", "terminal", "radio"]


class LocationIn(RequestBody):
    lat: Latitude | None = None
    lon: Longitude | None = None
    address: str | None = Field(None, min_length=1, max_length=300)
    source: LocationSource = "manual"
    accuracy_m: float | None = Field(None, ge=0, le=100_000, strict=True)

    @model_validator(mode="after")
    def _coordinates_or_address(self) -> LocationIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        if self.lat is None and not self.address:
            raise ValueError("a location needs coordinates or an address")
        return self


class CallerIn(RequestBody):
    name: str | None = Field(None, max_length=200)
    number: str | None = Field(None, pattern=r"^\+?[0-9 ()-]{3,31}$")


class IncidentCreate(RequestBody):
    nature_code: str = Field(min_length=1, max_length=40, examples=["FIRE-STRUCTURE"])
    modifiers: list[str] = Field(default_factory=list, examples=[["persons_trapped"]])
    source: IncidentSource = "call"
    summary: str = Field("", max_length=4000)
    location: LocationIn
    caller: CallerIn | None = None
    call_received_at: Timestamp | None = Field(
        None, description="When the call reached the answering point (from telephony)."
    )
    call_answered_at: Timestamp | None = Field(
        None, description="When a call taker answered it; not before call_received_at."
    )
    time_source: TimeSource = "system"

    @model_validator(mode="after")
    def _answered_after_received(self) -> IncidentCreate:
        received, answered = self.call_received_at, self.call_answered_at
        if received is not None and answered is not None and answered < received:
            raise ValueError(
                f"call_answered_at ({answered.isoformat()}) is before call_received_at "
                f"({received.isoformat()}): a call is answered after it arrives"
            )
        return self


class DuplicateQuery(RequestBody):
    """A call being taken, to check for duplicates before it is saved."""

    nature_code: str = Field(min_length=1, max_length=40)
    lat: Latitude | None = None
    lon: Longitude | None = None
    caller_number: str | None = Field(None, max_length=32)


class IncidentUpdate(RequestBody):
    nature_code: str | None = Field(None, min_length=1, max_length=40)
    modifiers: list[str] | None = None
    priority: int | None = Field(None, ge=1, le=5, description="Override the computed one.")
    summary: str | None = Field(None, max_length=4000)
    status: Literal["pending"] | None = Field(
        None, description="Queue a new incident for dispatch (new -> pending)."
    )
    version: int | None = Field(None, description="Refuse the change if the incident moved on.")


class LocationUpdate(LocationIn):
    make_primary: bool = Field(
        False,
        description="Required to replace a caller's device location with another source.",
    )


class LocationRead(ResponseBody):
    lat: float | None
    lon: float | None
    address: str | None
    source: str
    accuracy_m: float | None
    reported_at: datetime
    is_primary: bool


class IncidentRead(ResponseBody):
    id: int
    agency_id: int
    number: str
    status: IncidentStatus
    nature_code: str
    priority: int
    modifiers: list[str]
    source: str
    summary: str
    lat: float | None
    lon: float | None
    address: str | None
    location_source: str | None
    location_accuracy_m: float | None
    disposition: str | None
    shared_with: list[int]
    created_at: datetime
    closed_at: datetime | None
    version: int


class DuplicateCandidate(ResponseBody):
    incident_id: int
    number: str
    score: float = Field(ge=0, le=1)
    distance_m: float | None
    minutes_apart: float
    reasons: list[str]


class IntakeResult(ResponseBody):
    incident: IncidentRead
    duplicates: list[DuplicateCandidate]


class CallerRead(ResponseBody):
    name: str | None
    number: str | None
    received_at: datetime


class NoteCreate(RequestBody):
    text: str = Field(min_length=1, max_length=4000)


class NoteRead(ResponseBody):
    id: int
    author: str
    text: str
    at: datetime


class LinkCreate(RequestBody):
    other_id: int
    kind: Literal["related", "duplicate"] = Field(
        description="'duplicate' merges the other incident into this one (it is cancelled "
        "as a duplicate; both timelines are kept)."
    )


class LinkRead(ResponseBody):
    incident_id: int
    other_id: int
    kind: str
    created_at: datetime


class TimelineRead(ResponseBody):
    id: int
    incident_id: int
    kind: Kind
    at: datetime
    source: str
    unit_id: int | None
    actor_user_id: int | None
    data: dict[str, Any]


class NatureCreate(RequestBody):
    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")
    name: str = Field(min_length=1, max_length=200)
    discipline: Discipline
    priority: int = Field(ge=1, le=5)


class NatureRead(ResponseBody):
    code: str
    name: str
    discipline: Discipline
    priority: int
    custom: bool


class CloseRequest(RequestBody):
    disposition: str = Field(
        min_length=1, max_length=40, examples=["resolved", "false_alarm", "transported"]
    )


class IntervalsRead(ResponseBody):
    answer: float | None
    call_processing: float | None
    first_unit_turnout: float | None
    first_unit_travel: float | None
    total_response: float | None
    units: list[dict[str, Any]]


class IntervalFigure(ResponseBody):
    interval: str
    count: int
    median_s: float | None
    p90_s: float | None
    within_target: float | None = Field(description="Share of incidents within the target.")
    target_s: float
    standard: str


class ResponseTimes(ResponseBody):
    since: datetime
    incidents: int
    figures: list[IntervalFigure]
