"""The shared periodic purge: runs at once, then every interval; a failure never ends it."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from signalfire.core.purge import run_periodically


def test_a_failed_purge_is_logged_and_retried_at_the_next_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def purge() -> int:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("disk gone")
        return 3

    async def main() -> None:
        log = logging.getLogger("signalfire.test.purge")
        task = asyncio.create_task(run_periodically(purge, every_s=0.01, what="test", log=log))
        for _ in range(500):
            if len(calls) >= 3:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.ERROR, logger="signalfire.test.purge"):
        asyncio.run(main())
    assert len(calls) >= 3
    failures = [r for r in caplog.records if r.name == "signalfire.test.purge"]
    assert [r.getMessage() for r in failures] == [
        "test purge failed; retrying at the next interval"
    ]
    assert failures[0].exc_info is not None
