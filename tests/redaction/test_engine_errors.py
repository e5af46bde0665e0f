"""The engine raises its own errors (no HTTP status); the job API maps them to Invalid."""

from __future__ import annotations

from pathlib import Path

import pytest

from signalfire.core.errors import DomainError, Invalid
from signalfire.redaction.errors import (
    FrameOutOfRange,
    InvalidEdits,
    ModelMissing,
    RedactionError,
    UnreadableVideo,
)
from signalfire.redaction.jobs import Source, engine_errors

ENGINE_ERRORS = [
    UnreadableVideo(Path("/srv/clip.mp4"), "is damaged"),
    ModelMissing("no CenterFace model at /x"),
    InvalidEdits("edits.removed_tracks: no track 9"),
    FrameOutOfRange("frame 99 is outside the clip (0 to 9)"),
]


@pytest.mark.parametrize("error", ENGINE_ERRORS, ids=lambda e: type(e).__name__)
def test_engine_errors_carry_no_http_status(error: RedactionError) -> None:
    assert not isinstance(error, DomainError)
    assert not hasattr(error, "status")


@pytest.mark.parametrize("error", ENGINE_ERRORS, ids=lambda e: type(e).__name__)
def test_the_job_api_maps_them_to_invalid_with_the_same_message(error: RedactionError) -> None:
    with pytest.raises(Invalid) as caught, engine_errors():
        raise error
    assert caught.value.detail == error.detail
    assert caught.value.status == 422


def test_an_unreadable_source_is_named_by_id_and_field_never_its_path() -> None:
    source = Source(Path("/srv/data/clips/x.bin"), "upload:x", "clip x", "clip")
    with pytest.raises(Invalid) as caught, engine_errors(source):
        raise UnreadableVideo(source.path, "is not a readable video (bad data)")
    assert caught.value.detail == "clip x is not a readable video (bad data)"
    assert caught.value.extra == {"field": "clip"}


def test_other_errors_pass_through() -> None:
    with pytest.raises(KeyError), engine_errors():
        raise KeyError("not the engine's")
