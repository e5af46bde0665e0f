"""Events of the alerts domain."""

from __future__ import annotations

from typing import Any, ClassVar

from signalfire.core.events import Event


class AlertChanged(Event):
    """An alert arrived, was promoted or dismissed; carries its full state."""

    topic: ClassVar[str] = "alert.changed"
    alert: dict[str, Any]
    change: str
