"""``signalfire audit``: check the chain, print its head."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from signalfire.core.audit import service as audit
from signalfire.core.cli_support import err, runtime

app = typer.Typer(help="Check the tamper-evident audit trail.", no_args_is_help=True)


@app.command()
def verify(
    expect_head: Annotated[
        str | None,
        typer.Option(help="Head hash recorded elsewhere earlier (e.g. `audit head` output)."),
    ] = None,
) -> None:
    """Walk the chain; report the first altered, removed or reordered entry (exit 1)."""
    rt = runtime()
    with (
        rt.reader() as db,
        Progress(
            TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
        ) as progress,
    ):
        task = progress.add_task("verify", total=audit.count(db))
        report = audit.verify(db, on_progress=lambda done: progress.update(task, completed=done))
    if report.finding:
        finding = report.finding
        typer.echo(f"TAMPERED at entry {finding.seq}: {finding.breach}: {finding.message}")
        raise typer.Exit(1)
    if expect_head and expect_head not in (
        report.head_hash,
        f"{report.head_seq}:{report.head_hash}",
    ):
        typer.echo(
            f"TAMPERED: head is {report.head_seq}:{report.head_hash}, expected {expect_head}"
        )
        raise typer.Exit(1)
    typer.echo(f"OK: {report.checked} entries, head {report.head_seq}:{report.head_hash}")


@app.command()
def head() -> None:
    """Print ``seq:hash`` of the last entry, to keep somewhere the database cannot reach."""
    rt = runtime()
    with rt.reader() as db:
        seq, digest = audit.head(db)
    typer.echo(f"{seq}:{digest}")
