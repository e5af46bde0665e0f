"""Serves the dispatcher console (the TypeScript app in ``console/``, built into
``api/console/`` by ``make console``) with a policy that keeps it on this server."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from signalfire.api.deps import Public

BUILT = Path(__file__).resolve().parent / "console"


def policy(map_tiles: str | None) -> str:
    """Scripts, styles, images and sockets from this server only (Leaflet sets inline
    styles), plus the configured tile server's images.

    >>> "https://t.example.org" in policy("https://t.example.org/{z}/{x}/{y}.png")
    True
    """
    tiles = f" {urlsplit(map_tiles).scheme}://{urlsplit(map_tiles).netloc}" if map_tiles else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:{tiles}; connect-src 'self' ws: wss:; frame-ancestors 'none'"
    )


class ConsoleFiles(StaticFiles):
    """Static files with the console's content security policy."""

    def __init__(self, *, directory: Path, policy: str) -> None:
        super().__init__(directory=directory, html=True)
        self.policy = policy

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = self.policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def mount(app: FastAPI, map_tiles: str | None, built: Path = BUILT) -> None:
    """Serve the console at ``/``, or a page saying how to build it."""
    if (built / "index.html").is_file():
        files = ConsoleFiles(directory=built, policy=policy(map_tiles))
        app.mount("/", files, name="console")
        return

    @app.get("/", include_in_schema=False, dependencies=[Public])
    def not_built() -> Any:
        return HTMLResponse(
            "<h1>Signalfire</h1><p>The console is not built: run <code>make console</code>."
            " The API is at <a href='/docs'>/docs</a>.</p>",
            status_code=503,
        )
