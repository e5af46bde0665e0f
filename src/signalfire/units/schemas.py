"""Request and response bodies for stations, units and positions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from signalfire.core.schemas import Latitude, Longitude, RequestBody, ResponseBody, Timestamp
from signalfire.units.status import UnitStatus


class UnitType(StrEnum):
    """Kinds of unit a response plan can ask for."""

    ENGINE = "engine"
    LADDER = "ladder"
    RESCUE = "rescue"
    TANKER = "tanker"
    HAZMAT = "hazmat"
    BRUSH = "brush"
    CHIEF = "chief"
    ALS_AMBULANCE = "als_ambulance"
    BLS_AMBULANCE = "bls_ambulance"
    EMS_SUPERVISOR = "ems_supervisor"
    PATROL = "patrol"
    POLICE_SUPERVISOR = "police_supervisor"
    K9 = "k9"
    BOAT = "boat"


class StationCreate(RequestBody):
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", examples=["ST1"])
    name: str = Field(min_length=1, max_length=200)
    lat: Latitude
    lon: Longitude


class StationRead(ResponseBody):
    id: int
    agency_id: int
    code: str
    name: str
    lat: float
    lon: float


class UnitCreate(RequestBody):
    callsign: str = Field(pattern=r"^[A-Za-z0-9 _-]{1,32}$", examples=["E11"])
    unit_type: UnitType
    capabilities: list[str] = Field(default_factory=list, max_length=32)
    home_station_id: int | None = None
    crew: list[str] = Field(default_factory=list, max_length=12)
    shared_with: list[int] = Field(
        default_factory=list, description="Agencies that may dispatch this unit (mutual aid)."
    )


class UnitUpdate(RequestBody):
    capabilities: list[str] | None = Field(None, max_length=32)
    home_station_id: int | None = None
    crew: list[str] | None = Field(None, max_length=12)
    shared_with: list[int] | None = None


class UnitRead(ResponseBody):
    id: int
    agency_id: int
    callsign: str
    unit_type: str
    capabilities: list[str]
    home_station_id: int | None
    crew: list[str]
    shared_with: list[int]
    status: UnitStatus
    status_at: datetime
    lat: float | None
    lon: float | None
    heading: float | None
    speed: float | None
    position_at: datetime | None
    version: int = Field(description="Grows with every change; ignore older deltas.")


class StatusChange(RequestBody):
    status: UnitStatus
    at: Timestamp | None = Field(None, description="When it happened (default: now).")
    source: str = Field("system", max_length=32, description="system, terminal or radio.")


class PositionReport(RequestBody):
    unit_id: int
    lat: Latitude
    lon: Longitude
    heading: float | None = Field(None, ge=0, lt=360)
    speed: float | None = Field(None, ge=0, le=150, description="Metres per second.")
    time: Timestamp


class PositionBatch(RequestBody):
    positions: list[PositionReport] = Field(min_length=1, max_length=5000)


class PositionRead(ResponseBody):
    unit_id: int
    lat: float
    lon: float
    heading: float | None
    speed: float | None
    time: datetime = Field(validation_alias="at")
    received_at: datetime


class PositionUpdate(ResponseBody):
    """A unit's newest position as the live stream announces it, with who may see it."""

    unit_id: int
    agency_id: int
    shared_with: list[int]
    lat: float
    lon: float
    heading: float | None
    speed: float | None
    time: str = Field(description="When, ISO 8601 with the offset the unit reported.")


class PositionResult(ResponseBody):
    accepted: int
    duplicates: int
    out_of_order: int = Field(description="Stored in history but older than the latest.")
