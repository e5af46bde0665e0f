"""``signalfire cameras``: register cameras, list their health, run the workers."""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from signalfire.accounts import service as accounts
from signalfire.cameras.registry import service
from signalfire.cameras.registry.schemas import CameraCreate
from signalfire.core.auth.actor import Actor
from signalfire.core.cli_support import fail, runtime, unit_of_work
from signalfire.core.logging import configure as configure_logging
from signalfire.core.runtime import Runtime

app = typer.Typer(help="CCTV cameras: registry, health and analysis workers.", no_args_is_help=True)
log = logging.getLogger("signalfire.cameras")


def _in_agency(rt: Runtime, code: str) -> Actor:
    """The operator, acting for the agency ``code``."""
    with unit_of_work(rt) as db:
        agency = accounts.get_agency_by_code(db=db, code=code)
    return dataclasses.replace(Actor.operator(), agency_id=agency.id)


def _analysis(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        loaded: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        fail(f"cannot read the analysis settings in {path}: {exc}")
        raise typer.Exit(2) from exc
    return loaded


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Unique within the agency, e.g. 'Platform 2'.")],
    source: Annotated[str, typer.Argument(help="rtsp:// or http(s):// URL, or a file path.")],
    agency: Annotated[str, typer.Option(help="Agency code.")],
    lat: Annotated[float, typer.Option(help="Latitude, degrees.")],
    lon: Annotated[float, typer.Option(help="Longitude, degrees.")],
    heading: Annotated[float, typer.Option(help="Where it looks, degrees from north.")] = 0.0,
    fov: Annotated[float, typer.Option(help="Horizontal field of view, degrees.")] = 60.0,
    recording: Annotated[str, typer.Option(help="off, continuous or event.")] = "event",
    retention_days: Annotated[float, typer.Option(help="Keep recordings this long.")] = 7.0,
    analysis: Annotated[
        Path | None, typer.Option(help="JSON file with the analysis settings (rules...).")
    ] = None,
) -> None:
    """Register a camera; running workers pick it up within seconds."""
    rt = runtime()
    actor = _in_agency(rt, agency)
    try:
        data = CameraCreate.model_validate(
            {
                "name": name,
                "source": source,
                "lat": lat,
                "lon": lon,
                "heading_deg": heading,
                "fov_deg": fov,
                "recording_mode": recording,
                "retention_days": retention_days,
                "analysis": _analysis(analysis),
            }
        )
    except ValidationError as exc:
        for error in exc.errors():
            fail(f"invalid {'.'.join(map(str, error['loc']))}: {error['msg']}")
        raise typer.Exit(2) from exc
    with unit_of_work(rt) as db:
        camera = service.create(db=db, actor=actor, data=data)
    typer.echo(f"camera {camera.name!r} added (id {camera.id}) to {agency}")


@app.command("list")
def list_cameras(
    agency: Annotated[str | None, typer.Option(help="Only this agency's cameras.")] = None,
) -> None:
    """Every camera with its health."""
    rt = runtime()
    actor = _in_agency(rt, agency) if agency else Actor.operator()
    with unit_of_work(rt) as db:
        cameras = service.list_cameras(db=db, actor=actor)
    for c in cameras:
        seen = (
            c.health.last_frame_at.isoformat(timespec="seconds") if c.health.last_frame_at else "-"
        )
        typer.echo(
            f"{c.id:>4}  {c.name[:24]:<24} {c.health.state:<9} last frame {seen:<25} "
            f"{c.health.last_error or ''}"
        )


@app.command("work")
def work(
    workers: Annotated[
        int | None, typer.Option(help="Local worker processes (default: video.workers).")
    ] = None,
    ray_address: Annotated[
        str | None, typer.Option(help="Run on Ray instead: address, 'auto' or 'local'.")
    ] = None,
) -> None:
    """Analyse and record every enabled camera until interrupted (Ctrl-C).

    ``signalfire serve`` already does this with ``video.workers`` processes; run this
    on another machine (sharing the database and data directory) with
    ``video.workers = 0`` on the server, or to use a Ray cluster.
    """
    from signalfire.cameras.workers.server import supervise

    rt = runtime()
    configure_logging(rt.settings.log)
    video = rt.settings.video.model_copy(
        update={
            "workers": workers if workers is not None else max(1, rt.settings.video.workers),
            "ray_address": ray_address or rt.settings.video.ray_address,
        }
    )
    rt = dataclasses.replace(rt, settings=rt.settings.model_copy(update={"video": video}))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    where = f"Ray at {video.ray_address}" if video.ray_address else f"{video.workers} processes"
    typer.echo(f"Camera workers running on {where}; Ctrl-C stops them.")
    try:
        supervise(rt, stop)
    except KeyboardInterrupt:
        stop.set()
    typer.echo("Camera workers stopped.")
