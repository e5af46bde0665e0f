"""``signalfire sim``: the call simulator's commands."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from signalfire.core.cli_support import err, fail
from signalfire.core.config import UnknownSettingError, load_settings
from signalfire.geo.geocode import AddressRecord
from signalfire.geo.network import RoadNetwork

app = typer.Typer(help="Simulated city: call load and autonomous units.", no_args_is_help=True)


def _extract_addresses() -> list[AddressRecord]:
    """The addresses of the configured OSM extract (Helsinki by default), read locally."""
    try:
        settings = load_settings()
    except (ValidationError, UnknownSettingError, FileNotFoundError) as exc:
        fail(f"configuration error: {exc}")
        raise typer.Exit(2) from exc
    cache = settings.geo.cache_dir or settings.data_dir / "cache"
    with err.status("Reading the addresses of the road extract..."):
        addresses = RoadNetwork(settings.geo.extract, cache).geocoder().addresses
    if not addresses:
        fail("error: the road extract has no addresses to place calls at")
        raise typer.Exit(2)
    return addresses


@app.command()
def load(
    rate: Annotated[
        float, typer.Option(help="Incidents per second to post (random Poisson arrivals).")
    ],
    duration: Annotated[float, typer.Option(help="How long to post, in seconds.")] = 30.0,
    url: Annotated[
        str, typer.Option(help="Base URL of the running Signalfire server.")
    ] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None,
        typer.Option(help="API token of an account allowed to create incidents (recommended)."),
    ] = None,
    username: Annotated[
        str | None,
        typer.Option(help="Sign in as this user instead of a token (no second factor)."),
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="Password for --username; asked for when left out.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed posts the same calls.")] = 1,
    concurrency: Annotated[int, typer.Option(min=1, help="Most requests in flight at once.")] = 32,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer.")] = 30.0,
) -> None:
    """Post simulated calls as incidents to a running server through its HTTP API.

    Natures follow the default call mix; locations are real addresses of the road extract.

    Prints incidents created, errors by status, the achieved rate and latency percentiles.

    Exits 1 when the server cannot be reached or every request failed.
    """
    if not rate > 0 or not timeout > 0 or not duration >= 0:
        raise typer.BadParameter("--rate and --timeout must be positive, --duration >= 0")
    if (token is None) == (username is None):
        raise typer.BadParameter("give either --token or --username (with --password)")
    if username is not None and password is None:
        password = typer.prompt("Password", hide_input=True)
    login = (username, password or "") if username is not None else None
    _post_load(
        url=url.rstrip("/"),
        rate=rate,
        duration=duration,
        token=token,
        login=login,
        seed=seed,
        concurrency=concurrency,
        timeout=timeout,
    )


def _post_load(
    *,
    url: str,
    rate: float,
    duration: float,
    token: str | None,
    login: tuple[str, str] | None,
    seed: int,
    concurrency: int,
    timeout: float,
) -> None:
    """Run load mode with a progress bar and print its summary; exit 1 if nothing worked."""
    from signalfire.sim.load import LoadError, Login, run_load

    auth = Login(*login) if login is not None else token or ""
    addresses = _extract_addresses()
    columns = (TextColumn("posting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("load", total=None)

        def advance(done: int, planned: int) -> None:
            progress.update(task, completed=done, total=planned)

        run = run_load(
            url=url,
            rate=rate,
            duration=duration,
            auth=auth,
            addresses=addresses,
            seed=seed,
            concurrency=concurrency,
            timeout_s=timeout,
            on_progress=advance,
        )
        try:
            result = asyncio.run(run)
        except LoadError as exc:
            fail(f"error: {exc}")
            raise typer.Exit(1) from exc
    for line in result.summary():
        typer.echo(line)
    if result.sent and not result.created:
        fail(f"error: every request failed (first: {result.first_error})")
        raise typer.Exit(1)
