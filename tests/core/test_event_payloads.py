"""Every bus event carries typed fields: no bare ``dict[str, Any]`` payload (issue 16, item 4).

A subscriber in another process (the NATS bus) rebuilds events from JSON; a bare dict
would come back as whatever the sender put in it, unchecked.
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from typing import Any

import signalfire
from signalfire.core.events import Event


def _all_event_classes() -> list[type[Event]]:
    for module in pkgutil.walk_packages(signalfire.__path__, "signalfire."):
        if module.name.endswith(".events"):
            importlib.import_module(module.name)
    found: list[type[Event]] = []
    pending: list[type[Event]] = [Event]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _untyped(annotation: object) -> bool:
    """Whether ``annotation`` is, or holds, a mapping to ``Any``."""
    if annotation is Any:
        return True
    return any(_untyped(arg) for arg in typing.get_args(annotation))


def test_events_of_every_domain_are_found() -> None:
    topics = {cls.topic for cls in _all_event_classes()}
    assert {"incident.changed", "camera.changed", "dna.searched", "camera.hold.placed"} <= topics


def test_no_event_field_is_an_untyped_dict() -> None:
    untyped = {
        f"{cls.__module__}.{cls.__qualname__}.{name}": field.annotation
        for cls in _all_event_classes()
        for name, field in cls.model_fields.items()
        if _untyped(field.annotation)
    }
    assert untyped == {}


def test_the_check_catches_a_bare_dict() -> None:
    assert _untyped(dict[str, Any])
    assert _untyped(dict[str, Any] | None)
    assert not _untyped(dict[str, int])
