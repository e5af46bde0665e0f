"""Serves the dispatcher console (the TypeScript app in ``console/``, built into
``api/console/`` by ``make console``) with a policy that keeps it on this server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from signalfire.api.deps import Public

BUILT = Path(__file__).resolve().parent / "console"
#: Scripts, styles, images and sockets from this server only (Leaflet sets inline styles).
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'"
)


class ConsoleFiles(StaticFiles):
    """Static files with the console's content security policy."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def mount(app: FastAPI, built: Path = BUILT) -> None:
    """Serve the console at ``/``, or a page saying how to build it."""
    if (built / "index.html").is_file():
        app.mount("/", ConsoleFiles(directory=built, html=True), name="console")
        return

    @app.get("/", include_in_schema=False, dependencies=[Public])
    def not_built() -> Any:
        return HTMLResponse(
            "<h1>Signalfire</h1><p>The console is not built: run <code>make console</code>."
            " The API is at <a href='/docs'>/docs</a>.</p>",
            status_code=503,
        )
