"""Alerts: sensors report them; dispatchers promote them to incidents or dismiss them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.alerts.events import AlertChanged
from signalfire.alerts.models import Alert
from signalfire.alerts.schemas import AlertCreate, AlertRead, Dismissal, Promotion
from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict, Invalid, NotFound
from signalfire.core.events import emit
from signalfire.incidents import intake
from signalfire.incidents.models import Incident
from signalfire.incidents.schemas import IncidentCreate, LocationIn

#: The nature an alert of each kind suggests when promoted.
SUGGESTED_NATURES: dict[str, str] = {
    "fire_alarm": "FIRE-ALARM",
    "smoke": "FIRE-SMOKE",
    "co_alarm": "FIRE-CO-ALARM",
    "intrusion": "LAW-ALARM",
    "hold_up": "LAW-ROBBERY",
    "line_crossing": "LAW-SUSPICIOUS",
    "zone_intrusion": "LAW-SUSPICIOUS",
    "zone_enter": "LAW-SUSPICIOUS",
    "zone_exit": "LAW-SUSPICIOUS",
    "dwell": "LAW-SUSPICIOUS",
    "after_hours_motion": "LAW-ALARM",
    "crowding": "PUBLIC-ASSIST",
    "stopped_vehicle": "LAW-TRAFFIC-HAZARD",
}


def read(alert: Alert) -> AlertRead:
    """The API view of ``alert``, with the nature it suggests."""
    view = AlertRead.model_validate(alert)
    return view.model_copy(update={"suggested_nature": SUGGESTED_NATURES.get(alert.kind)})


def report(*, db: Session, actor: Actor, data: AlertCreate) -> Alert:
    """Store an alert from an alarm receiver or camera worker of the caller's agency."""
    if actor.agency_id is None:
        raise Invalid("alerts belong to an agency")
    alert = Alert(
        agency_id=actor.agency_id,
        **data.model_dump(),
        received_at=clock.now(),
        status="new",
    )
    db.add(alert)
    db.flush()
    _announce(db, actor, alert, "raised")
    return alert


def list_alerts(*, db: Session, actor: Actor, status: str | None = "new") -> list[Alert]:
    """The agency's alerts, newest first (only new ones unless told otherwise)."""
    query = select(Alert).order_by(Alert.received_at.desc(), Alert.id.desc()).limit(500)
    if actor.agency_id is not None:
        query = query.where(Alert.agency_id == actor.agency_id)
    if status is not None:
        query = query.where(Alert.status == status)
    return list(db.scalars(query))


def _get_new(db: Session, actor: Actor, alert_id: int) -> Alert:
    alert = db.get(Alert, alert_id, with_for_update=True)
    if alert is None or (actor.agency_id is not None and alert.agency_id != actor.agency_id):
        raise NotFound(f"no alert with id {alert_id}")
    if alert.status != "new":
        raise Conflict(f"alert {alert_id} is already {alert.status}")
    return alert


def promote(*, db: Session, actor: Actor, alert_id: int, data: Promotion) -> Incident:
    """Open an incident at the alert's place; the alert points to it from then on."""
    alert = _get_new(db, actor, alert_id)
    if alert.lat is None and alert.address is None:
        raise Conflict(f"alert {alert_id} has no place; create the incident by hand")
    opened = intake.create(
        db=db,
        actor=actor,
        data=IncidentCreate(
            nature_code=data.nature_code,
            source=alert.source if alert.source in ("alarm", "camera") else "api",
            summary=data.summary or f"{alert.title} ({alert.source_ref})",
            location=LocationIn(
                lat=alert.lat, lon=alert.lon, address=alert.address, source=alert.source
            ),
        ),
    )
    _close(alert, actor, "promoted", incident_id=opened.incident.id)
    _announce(db, actor, alert, "promoted")
    return opened.incident


def dismiss(*, db: Session, actor: Actor, alert_id: int, data: Dismissal) -> Alert:
    """Set an alert aside with the reason (a false alarm, a known test)."""
    alert = _get_new(db, actor, alert_id)
    _close(alert, actor, "dismissed", note=data.reason)
    _announce(db, actor, alert, "dismissed")
    return alert


def _close(
    alert: Alert,
    actor: Actor,
    status: str,
    *,
    incident_id: int | None = None,
    note: str | None = None,
) -> None:
    alert.status, alert.incident_id, alert.note = status, incident_id, note
    alert.handled_by, alert.handled_at = actor.user_id, clock.now()


def _announce(db: Session, actor: Actor, alert: Alert, change: str) -> None:
    db.flush()
    emit(
        db,
        AlertChanged(
            actor=actor.ref(),
            agency_id=alert.agency_id,
            record_type="alert",
            record_id=str(alert.id),
            alert=read(alert),
            change=change,
        ),
    )
