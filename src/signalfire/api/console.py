"""Serves the dispatcher console (the TypeScript app in ``console/``, built into
``api/console/`` by ``make console``) and the API docs (Swagger UI from the installed
``fastapi-offline`` package, no CDN) with policies that keep them on this server."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from signalfire.api.permissions import Public

BUILT = Path(__file__).resolve().parent / "console"
DOCS_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
DOCS_ASSETS_URL = "/docs/assets"


def policy(map_tiles: str | None) -> str:
    """Scripts, styles, images and sockets from this server only (Leaflet sets inline
    styles), plus the configured tile server's images. ``connect-src 'self'`` covers
    the WebSocket to this server (ws/wss of the same host) and nothing else.

    >>> "https://t.example.org" in policy("https://t.example.org/{z}/{x}/{y}.png")
    True
    """
    tiles = f" {urlsplit(map_tiles).scheme}://{urlsplit(map_tiles).netloc}" if map_tiles else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:{tiles}; connect-src 'self'; frame-ancestors 'none'"
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


class DocsAssets(StaticFiles):
    """Swagger UI's script, styles and icon, never sniffed as another type."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _inline_script_hashes(html: str) -> str:
    """CSP hash sources of the page's inline scripts (Swagger UI's start-up call)."""
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    digests = (base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts)
    return " ".join(f"'sha256-{d}'" for d in digests)


def docs_page(openapi_url: str, title: str) -> HTMLResponse:
    """Swagger UI for ``openapi_url`` from this server's own files, with a policy that
    lets it run only its own scripts (and its one inline start-up script, by hash)."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} - API",
        swagger_js_url=f"{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS_URL}/favicon.png",
        swagger_ui_parameters={"validatorUrl": None},  # no badge from an outside validator
    )
    html = bytes(page.body).decode()
    page.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' {_inline_script_hashes(html)}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'"
    )
    return page


def mount_docs(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs``, offline."""
    app.mount(DOCS_ASSETS_URL, DocsAssets(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False, dependencies=[Public])
    def docs() -> HTMLResponse:
        return docs_page(app.openapi_url or "/openapi.json", app.title)
