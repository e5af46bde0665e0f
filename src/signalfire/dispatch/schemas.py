"""Request and response bodies of the dispatch API."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from signalfire.core.schemas import RequestBody, ResponseBody
from signalfire.units.schemas import UnitType


class Requirement(RequestBody):
    """Units of a type, or units with a capability, and how many."""

    unit_type: UnitType | None = None
    capability: str | None = Field(None, max_length=40)
    count: int = Field(1, ge=1, le=50)

    @model_validator(mode="after")
    def _type_or_capability(self) -> Requirement:
        if self.unit_type is None and self.capability is None:
            raise ValueError("a requirement names a unit_type, a capability, or both")
        return self


class PlanCreate(RequestBody):
    nature_code: str = Field(min_length=1, max_length=40, description="'*' for the fallback.")
    priority: int | None = Field(None, ge=1, le=5)
    area: str | None = Field(None, max_length=64)
    name: str = Field(min_length=1, max_length=200, examples=["Structure fire, first alarm"])
    requirements: list[Requirement] = Field(min_length=1, max_length=20)


class PlanRead(ResponseBody):
    id: int
    agency_id: int
    nature_code: str
    priority: int | None
    area: str | None
    name: str
    requirements: list[Requirement]


class AssignRequest(RequestBody):
    unit_ids: list[int] = Field(min_length=1, max_length=50)


class AssignmentRead(ResponseBody):
    id: int
    incident_id: int
    unit_id: int
    assigned_at: datetime
    ended_at: datetime | None
    end_reason: str | None
