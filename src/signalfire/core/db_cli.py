"""``signalfire db``: schema migrations."""

from __future__ import annotations

import typer

from signalfire.core import migrate
from signalfire.core.cli_support import runtime

app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply every migration this version ships (safe to run again)."""
    rt = runtime()
    migrate.upgrade(rt.engine)
    typer.echo(f"database at revision {migrate.current_revision(rt.engine)}")


@app.command()
def current() -> None:
    """Print the database's revision and the one this code expects."""
    rt = runtime()
    typer.echo(f"current: {migrate.current_revision(rt.engine)}")
    typer.echo(f"code expects: {migrate.head_revision()}")
