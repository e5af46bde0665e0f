"""``signalfire audit``: check the chain, print its head."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from signalfire.core.audit import service as audit
from signalfire.core.audit import witness
from signalfire.core.cli_support import err, runtime

app = typer.Typer(help="Check the tamper-evident audit trail.", no_args_is_help=True)

_FAILURE = {"truncated": "TRUNCATED", "diverged": "TAMPERED", "unreadable": "UNCHECKED"}


@app.command()
def verify(
    expect_head: Annotated[
        str | None,
        typer.Option(help="Head hash recorded elsewhere earlier (e.g. `audit head` output)."),
    ] = None,
) -> None:
    """Walk the chain; report the first altered, removed or reordered entry, or an end
    cut off before the head in the witness file (exit 1)."""
    rt = runtime()
    sighting = witness.look(rt.witness)  # before the snapshot: a witness never runs ahead
    with (
        rt.reader() as db,
        Progress(
            TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
        ) as progress,
    ):
        task = progress.add_task("verify", total=audit.count(db))
        report = audit.verify(db, on_progress=lambda done: progress.update(task, completed=done))
        against = witness.compare(db, sighting, report)
    if report.finding:
        finding = report.finding
        typer.echo(f"TAMPERED at entry {finding.seq}: {finding.breach}: {finding.message}")
        raise typer.Exit(1)
    if against.failed:
        typer.echo(f"{_FAILURE[against.status]}: {against.message}")
        raise typer.Exit(1)
    if expect_head and expect_head not in (
        report.head_hash,
        f"{report.head_seq}:{report.head_hash}",
    ):
        typer.echo(
            f"TAMPERED: head is {report.head_seq}:{report.head_hash}, expected {expect_head}"
        )
        raise typer.Exit(1)
    if against.warning:
        typer.echo(f"WARNING: {against.message}")
    ending = "" if against.status in ("none", "fresh", "missing") else f"; {against.message}"
    typer.echo(f"OK: {report.checked} entries, head {report.head_seq}:{report.head_hash}{ending}")


@app.command()
def head() -> None:
    """Print ``seq:hash`` of the last entry, to keep somewhere the database cannot reach."""
    rt = runtime()
    with rt.reader() as db:
        seq, digest = audit.head(db)
    typer.echo(f"{seq}:{digest}")
