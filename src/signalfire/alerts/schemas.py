"""Request and response bodies of the alerts API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from signalfire.core.schemas import RequestBody, ResponseBody, Timestamp

AlertSource = Literal["alarm", "camera"]
AlertStatus = Literal["new", "promoted", "dismissed"]


class AlertCreate(RequestBody):
    source: AlertSource
    source_ref: str = Field(min_length=1, max_length=100, examples=["panel-0042"])
    kind: str = Field(pattern=r"^[a-z0-9_]{1,40}$", examples=["fire_alarm"])
    title: str = Field(min_length=1, max_length=200, examples=["Fire alarm, zone 3"])
    detail: str = Field("", max_length=4000)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    address: str | None = Field(None, min_length=1, max_length=300)
    occurred_at: Timestamp


class AlertRead(ResponseBody):
    id: int
    agency_id: int
    source: str
    source_ref: str
    kind: str
    title: str
    detail: str
    lat: float | None
    lon: float | None
    address: str | None
    occurred_at: datetime
    received_at: datetime
    status: AlertStatus
    incident_id: int | None
    note: str | None
    suggested_nature: str | None = Field(None, description="Nature to promote it with.")


class Promotion(RequestBody):
    nature_code: str = Field(min_length=1, max_length=40)
    summary: str | None = Field(None, max_length=4000)


class Dismissal(RequestBody):
    reason: str = Field(min_length=1, max_length=500, examples=["false alarm, keyholder on site"])
