"""HTTP routes for alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from signalfire.alerts import service
from signalfire.alerts.schemas import AlertCreate, AlertRead, AlertStatus, Dismissal, Promotion
from signalfire.api.permissions import requires
from signalfire.api.session import DbSession
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm
from signalfire.incidents.models import Incident
from signalfire.incidents.schemas import IncidentRead

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


@router.post("", response_model=AlertRead, status_code=201)
def report_alert(
    data: AlertCreate, db: DbSession, actor: Annotated[Actor, requires(Perm.ALERT_REPORT)]
) -> AlertRead:
    """An alarm receiver or camera worker reports an alert (device API token)."""
    return service.read(service.report(db=db, actor=actor, data=data))


@router.get("", response_model=list[AlertRead])
def list_alerts(
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.INCIDENT_READ)],
    status: Annotated[AlertStatus | None, Query(description="Default: new ones.")] = "new",
) -> list[AlertRead]:
    """The agency's alerts inbox, newest first."""
    return [service.read(a) for a in service.list_alerts(db=db, actor=actor, status=status)]


@router.post("/{alert_id}/promote", response_model=IncidentRead, status_code=201)
def promote_alert(
    alert_id: int,
    data: Promotion,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.INCIDENT_CREATE)],
) -> Incident:
    """Open an incident at the alert's place (once)."""
    return service.promote(db=db, actor=actor, alert_id=alert_id, data=data)


@router.post("/{alert_id}/dismiss", response_model=AlertRead)
def dismiss_alert(
    alert_id: int,
    data: Dismissal,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.INCIDENT_UPDATE)],
) -> AlertRead:
    """Set an alert aside with the reason."""
    return service.read(service.dismiss(db=db, actor=actor, alert_id=alert_id, data=data))
