"""``signalfire sim``: the call simulator's commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Simulated city: call load and autonomous units.", no_args_is_help=True)
