"""The ``signalfire`` command."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from signalfire.accounts.cli import agency_app, user_app
from signalfire.core.audit.cli import app as audit_app
from signalfire.core.cli_support import runtime
from signalfire.core.db_cli import app as db_app
from signalfire.core.logging import configure as configure_logging
from signalfire.geo.cli import app as roads_app
from signalfire.sim.cli import app as sim_app

app = typer.Typer(help="Signalfire: open public-safety operations platform.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(agency_app, name="agency")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(roads_app, name="roads")
app.add_typer(sim_app, name="sim")

HostOption = Annotated[str | None, typer.Option(help="Bind address (default from config).")]
PortOption = Annotated[int | None, typer.Option(help="Port (default from config).")]


@app.command()
def serve(host: HostOption = None, port: PortOption = None) -> None:
    """Run the API server (the database must be migrated: `signalfire db upgrade`)."""
    from signalfire.api.app import create_app

    rt = runtime()
    configure_logging(rt.settings.log)
    uvicorn.run(
        create_app(rt),
        host=host or rt.settings.api.host,
        port=port or rt.settings.api.port,
        log_config=None,
    )


@app.command()
def demo(host: HostOption = None, port: PortOption = None) -> None:
    """Prepare the embedded demo database and serve it, printing how to sign in."""
    from signalfire.api.app import create_app
    from signalfire.demo import prepare

    rt = runtime()
    configure_logging(rt.settings.log)
    login = prepare(rt, rt.settings.data_dir / "demo-admin.txt")
    bind_host, bind_port = host or rt.settings.api.host, port or rt.settings.api.port
    typer.secho("\nSignalfire demo is starting.", bold=True)
    typer.echo(f"  API and docs:  http://{bind_host}:{bind_port}/docs")
    typer.echo(f"  Sign in:       user '{login.username}', password '{login.password}'")
    typer.echo(
        f"  Try:           curl -s -X POST http://{bind_host}:{bind_port}/api/auth/login "
        f"-H 'content-type: application/json' "
        f'-d \'{{"username":"{login.username}","password":"{login.password}"}}\'\n'
    )
    uvicorn.run(create_app(rt), host=bind_host, port=bind_port, log_config=None)
