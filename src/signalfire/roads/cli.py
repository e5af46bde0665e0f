"""``signalfire roads``: build and inspect the road network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from signalfire.core.cli_support import err, fail, runtime
from signalfire.geo.roads import CACHE_VERSION, file_digest, helsinki_extract, read_osm

app = typer.Typer(help="The road network used for routing and geocoding.", no_args_is_help=True)


@app.command()
def build(
    extract: Annotated[
        Path | None,
        typer.Argument(help="An .osm.pbf extract (default: the configured one, or Helsinki)."),
    ] = None,
) -> None:
    """Build the routable graph of an extract and cache it for the server."""
    rt = runtime()
    path = extract or rt.settings.geo.extract or helsinki_extract()
    if not path.is_file():
        fail(f"error: {path} is not a file")
        raise typer.Exit(2)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(f"{path.name}: starting")
        graph = read_osm(
            path, on_step=lambda step: progress.update(task, description=f"{path.name}: {step}")
        )
    target = rt.roads.cache_dir / f"roads-{file_digest(path)[:16]}-v{CACHE_VERSION}.npz"
    graph.save(target)
    typer.echo(f"{graph.node_count:,} nodes, {graph.edge_count:,} road segments -> {target}")
