"""``signalfire train``: play a training scenario for a trainee and score it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from signalfire.core.cli_support import runtime
from signalfire.core.runtime import Runtime
from signalfire.sim.scenario import (
    Scenario,
    ScenarioError,
    builtin_scenarios,
    load_scenario,
    resolve_scenario,
)

app = typer.Typer(help="Dispatcher training: scripted scenarios, scored.", no_args_is_help=True)

ScenarioArg = Annotated[
    str, typer.Argument(help="A shipped scenario's name (see `train list`) or a YAML file.")
]


@app.command("list")
def list_scenarios() -> None:
    """The scenarios that ship with Signalfire."""
    for name, path in sorted(builtin_scenarios().items()):
        scenario = load_scenario(path)
        typer.echo(f"{name:28} {scenario.name} ({len(scenario.calls)} calls, {scenario.duration})")


@app.command()
def check(scenario: ScenarioArg) -> None:
    """Validate a scenario file; every problem is named with its line and field."""
    loaded = _load(scenario)
    typer.echo(f"ok: {loaded.name}: {len(loaded.calls)} calls over {loaded.duration}")


@app.command()
def run(
    scenario: ScenarioArg,
    trainee: Annotated[str, typer.Option(help="Username the trainee signs in with.")],
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second.")] = 1.0,
    out: Annotated[
        Path | None, typer.Option(help="Folder for the score report (default: the run's folder).")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default from config).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from config).")] = None,
) -> None:
    """Play SCENARIO on a fresh training copy of the demo city while TRAINEE dispatches in
    the console; at its end, write the score report (JSON and HTML) and stop."""
    import uvicorn

    from signalfire.api.app import create_app
    from signalfire.core import clock
    from signalfire.core.config import load_settings
    from signalfire.core.logging import configure as configure_logging
    from signalfire.core.runtime import build_runtime
    from signalfire.sim import report, training
    from signalfire.sim.clock import PacedClock
    from signalfire.sim.engine import Simulation

    loaded = _load(scenario)
    base = runtime().settings
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = base.data_dir / "training" / f"{Path(scenario).stem}-{stamp}"
    settings = load_settings(
        data_dir=folder,
        database={"url": f"sqlite:///{folder / 'training.db'}"},
        geo=base.geo.model_copy(
            update={"cache_dir": base.geo.cache_dir or base.data_dir / "cache"}
        ),
        log=base.log,
        api=base.api,
    )
    rt = build_runtime(settings)
    configure_logging(rt.settings.log)
    password = _prepare(rt, loaded.agency, trainee)
    paced = PacedClock(loaded.start or clock.now(), speed=speed)
    clock.set_source(paced.now)
    sim = Simulation(rt, settings=rt.settings.sim, clock=paced, calls=False, dispatches=False)
    played = training.schedule(loaded, sim)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(rt),
            host=host or rt.settings.api.host,
            port=port or rt.settings.api.port,
            log_config=None,
        )
    )
    written: list[Path] = []

    def finish() -> None:
        written.extend(
            report.write_reports(training.finish(played, trainee=trainee), out or folder)
        )
        server.should_exit = True

    sim.agenda.at(played.ends_at, finish)
    sim.start()
    typer.secho(f"\nTraining: {loaded.name}", bold=True)
    typer.echo(f"  Console/API:  http://{server.config.host}:{server.config.port}/docs")
    typer.echo(f"  Sign in:      user '{trainee}', password '{password}'")
    typer.echo(f"  Runs:         {loaded.duration} simulated, {speed:g}x time; folder {folder}")
    server.run()
    for path in written:
        typer.echo(f"report: {path}")


def _prepare(rt: Runtime, agency: str, trainee: str) -> str:
    """Build the training city and sign the trainee up; returns their password."""
    from signalfire import demo
    from signalfire.core.db import transaction
    from signalfire.sim import city

    demo.prepare(rt)
    password = secrets.token_urlsafe(12)
    with transaction(rt.sessions) as db:
        city.enrol(db, username=trainee, agency_code=agency, password=password)
    return password


def _load(name: str) -> Scenario:
    try:
        return load_scenario(resolve_scenario(name))
    except ScenarioError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc
