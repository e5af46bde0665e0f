"""Every alert a camera or alarm can raise suggests a nature the default catalogue has."""

from __future__ import annotations

import pytest

from signalfire.alerts.service import SUGGESTED_NATURES
from signalfire.incidents.natures import DEFAULT_CATALOGUE
from signalfire.video.pipeline import EVENT_KINDS


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_every_camera_event_kind_suggests_a_nature(kind: str) -> None:
    assert kind in SUGGESTED_NATURES


@pytest.mark.parametrize(("kind", "code"), sorted(SUGGESTED_NATURES.items()))
def test_suggested_natures_are_in_the_catalogue(kind: str, code: str) -> None:
    assert code in {nature.code for nature in DEFAULT_CATALOGUE}, kind
