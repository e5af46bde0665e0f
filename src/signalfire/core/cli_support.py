"""What every command shares: the runtime, one transaction, errors as messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.orm import Session

from signalfire.core.config import UnknownSettingError, load_settings
from signalfire.core.db import transaction
from signalfire.core.errors import DomainError
from signalfire.core.nats_bus import BusUnavailable
from signalfire.core.runtime import Runtime, build_runtime

err = Console(stderr=True)


def fail(message: str) -> None:
    """Print ``message`` in red on stderr, verbatim (no markup is interpreted)."""
    err.print(message, style="red", markup=False, highlight=False)


def runtime(*, serving: bool = False) -> Runtime:
    """The install configured by the environment, or exit 2 naming the bad setting.

    A command's database connections keep the WAL when they close, since a server may
    still be writing to it; only a ``serving`` process (``serve``, ``demo``) checkpoints
    and removes it on its way out.
    """
    try:
        return build_runtime(load_settings(), keep_wal=not serving)
    except (ValidationError, UnknownSettingError, FileNotFoundError) as exc:
        fail(f"configuration error: {exc}")
        raise typer.Exit(2) from exc
    except BusUnavailable as exc:
        fail(f"{exc} (is NATS running? bus.url / SIGNALFIRE_BUS__URL names it)")
        raise typer.Exit(2) from exc


@contextmanager
def unit_of_work(rt: Runtime) -> Iterator[Session]:
    """One committed transaction; a domain error becomes a message and exit code 1."""
    try:
        with transaction(rt.sessions) as db:
            yield db
    except DomainError as exc:
        fail(f"error: {exc.detail}")
        raise typer.Exit(1) from exc
