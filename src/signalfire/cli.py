"""The ``signalfire`` command."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from signalfire.accounts.cli import agency_app, user_app
from signalfire.cameras.cli import app as cameras_app
from signalfire.core.audit.cli import app as audit_app
from signalfire.core.cli_support import runtime
from signalfire.core.db_cli import app as db_app
from signalfire.core.logging import configure as configure_logging
from signalfire.core.runtime import Runtime
from signalfire.dna.cli import app as dna_app
from signalfire.redaction.cli import redact
from signalfire.roads.cli import app as roads_app
from signalfire.sim.cli import app as sim_app
from signalfire.sim.train_cli import app as train_app

app = typer.Typer(help="Signalfire: open public-safety operations platform.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(agency_app, name="agency")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(roads_app, name="roads")
app.add_typer(sim_app, name="sim")
app.add_typer(train_app, name="train")
app.add_typer(dna_app, name="dna")
app.add_typer(cameras_app, name="cameras")
app.command(name="redact")(redact)

HostOption = Annotated[str | None, typer.Option(help="Bind address (default from config).")]
PortOption = Annotated[int | None, typer.Option(help="Port (default from config).")]


@app.command()
def serve(host: HostOption = None, port: PortOption = None) -> None:
    """Run the API server (the database must be migrated: `signalfire db upgrade`)."""
    from signalfire.api.app import create_app

    rt = runtime(serving=True)
    configure_logging(rt.settings.log)
    uvicorn.run(
        create_app(rt),
        host=host or rt.settings.api.host,
        port=port or rt.settings.api.port,
        log_config=None,
    )


@app.command()
def demo(
    host: HostOption = None,
    port: PortOption = None,
    reset: Annotated[bool, typer.Option(help="Delete the demo database and start clean.")] = False,
    speed: Annotated[
        float | None, typer.Option(help="Simulated seconds per real second (default from config).")
    ] = None,
    simulate: Annotated[bool, typer.Option(help="Run the call simulator.")] = True,
) -> None:
    """Build (once) and serve the demo city: three agencies, units, run cards, demo
    users, and simulated calls that the simulated crews answer."""
    from signalfire import demo as demo_install
    from signalfire.api.app import create_app

    rt = runtime(serving=True)
    configure_logging(rt.settings.log)
    if reset:
        for path in demo_install.reset(rt):
            typer.echo(f"removed {path}")
        rt = runtime(serving=True)
    typer.echo("Preparing the demo city (first run: about ten seconds)...")
    logins = demo_install.prepare(rt)
    sim = rt.settings.sim
    if simulate and sim.enabled:
        _start_simulator(rt, speed or sim.speed)
    bind_host, bind_port = host or rt.settings.api.host, port or rt.settings.api.port
    base = f"http://{bind_host}:{bind_port}"
    others = ", ".join(u for u in logins.usernames if u != "admin")
    typer.secho("\nSignalfire demo is starting.", bold=True)
    typer.echo(f"  API and docs:  {base}/docs")
    typer.echo(f"  Sign in:       user 'admin', password '{logins.password}'")
    typer.echo(f"  Other logins:  {others} (same password)")
    if simulate and sim.enabled:
        typer.echo(
            f"  Simulator:     {sim.calls_per_hour:g} calls/hour, {speed or sim.speed:g}x time"
        )
    typer.echo(
        f"  Try:           curl -s -X POST {base}/api/auth/login "
        f"-H 'content-type: application/json' "
        f'-d \'{{"username":"admin","password":"{logins.password}"}}\'\n'
    )
    uvicorn.run(create_app(rt), host=bind_host, port=bind_port, log_config=None)


def _start_simulator(rt: Runtime, speed: float) -> None:
    """Run the simulator in the background; the whole process follows its clock."""
    from signalfire.core import clock
    from signalfire.sim.clock import PacedClock
    from signalfire.sim.engine import Simulation

    paced = PacedClock(clock.now(), speed=speed)
    clock.set_source(paced.now)
    Simulation(rt, settings=rt.settings.sim, clock=paced).start()
