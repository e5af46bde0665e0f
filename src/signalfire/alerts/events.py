"""Events of the alerts domain."""

from __future__ import annotations

from typing import ClassVar

from signalfire.alerts.schemas import AlertRead
from signalfire.core.events import Event


class AlertChanged(Event):
    """An alert arrived, was promoted or dismissed; carries its full state."""

    topic: ClassVar[str] = "alert.changed"
    alert: AlertRead
    change: str
