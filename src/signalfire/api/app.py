"""The FastAPI application: routers, error handling, middleware."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

import signalfire
from signalfire.accounts.router import auth_router
from signalfire.accounts.router import router as accounts_router
from signalfire.alerts.router import router as alerts_router
from signalfire.api import audit, console, live, ops, problems
from signalfire.api.live import LiveHub
from signalfire.api.middleware import AccessLog, BodyLimit, ConcurrencyLimit, SecurityHeaders
from signalfire.api.permissions import undeclared_routes
from signalfire.cameras.registry.router import router as cameras_router
from signalfire.cameras.workers import server as cameras_server
from signalfire.core.config import Settings, get_settings
from signalfire.core.group_commit import GroupCommit
from signalfire.core.runtime import Runtime, build_runtime
from signalfire.dispatch.router import router as dispatch_router
from signalfire.dispatch.service import RESPONDERS
from signalfire.dna.router import router as dna_router
from signalfire.incidents.router import router as incidents_router
from signalfire.redaction import recovery as redaction_recovery
from signalfire.redaction.router import router as redaction_router
from signalfire.roads import service as roads
from signalfire.roads.router import router as roads_router
from signalfire.units import retention
from signalfire.units.router import router as units_router


class UndeclaredPermissionError(RuntimeError):
    """A route declares no permission; the default is deny, so it may not be served."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the live-update hub and the retention job while the app serves; first mark
    failed the redaction jobs a stopped server left running."""
    runtime: Runtime = app.state.runtime
    await run_in_threadpool(
        redaction_recovery.recover_at_start,
        runtime.sessions,
        runtime.settings.data_dir / "redactions",
    )
    tasks = [
        asyncio.create_task(app.state.live_hub.run()),
        asyncio.create_task(retention.purge_periodically(app.state.runtime)),
        asyncio.create_task(cameras_server.run(app.state.runtime)),
    ]
    if app.state.runtime.settings.geo.preload:
        tasks.append(asyncio.create_task(_warm_up(app.state.runtime)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _warm_up(runtime: Runtime) -> None:
    """Load the road network and geocoder, then freeze what is loaded out of the
    garbage collector's sight: otherwise each full collection walks those long-lived
    objects and pauses a request for 100 ms now and then. The stored road closures are
    loaded into the router too (each routing request checks for newer ones anyway)."""
    await run_in_threadpool(runtime.roads.geocoder)
    await run_in_threadpool(_load_closures, runtime)
    gc.freeze()


def _load_closures(runtime: Runtime) -> None:
    with runtime.reader() as db:
        roads.sync_router(db=db, network=runtime.roads)


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """Build the API for ``runtime`` (by default, from the process settings)."""
    runtime = runtime or build_runtime(get_settings())
    settings: Settings = runtime.settings
    app = FastAPI(
        lifespan=lifespan,
        title="Signalfire",
        version=signalfire.__version__,
        summary="Open public-safety operations platform API.",
        docs_url=None,  # served by console.mount_docs from local files
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.live_hub = LiveHub(runtime.bus)
    app.state.group_commit = GroupCommit(runtime.sessions)
    #: Dispatch answers for the units of incidents being merged (incidents never import it).
    app.state.responders = RESPONDERS
    problems.install(app)
    routers = (
        ops.router,
        auth_router,
        accounts_router,
        audit.router,
        incidents_router,
        units_router,
        dispatch_router,
        live.router,
        roads_router,
        alerts_router,
        dna_router,
        redaction_router,
        cameras_router,
    )
    for router in routers:
        app.include_router(router)
    missing = undeclared_routes(app.routes)
    if missing:
        raise UndeclaredPermissionError(
            f"routes without a declared permission: {', '.join(missing)}"
        )
    console.mount_docs(app)
    console.mount(app, settings.api.map_tiles)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.api.max_body_bytes,
        upload_paths=("/api/redactions/clips",),
        max_upload_bytes=settings.api.max_upload_bytes,
    )
    app.add_middleware(ConcurrencyLimit, limit=settings.api.max_concurrent_requests)
    app.add_middleware(SecurityHeaders, hsts_max_age_seconds=settings.api.hsts_max_age_seconds)
    app.add_middleware(AccessLog)
    return app
