"""The install's road network: loaded once, on first use, and shared."""

from __future__ import annotations

import threading
from pathlib import Path

from signalfire.geo.roads import RoadGraph, helsinki_extract, load_or_build
from signalfire.geo.routing import Router


class RoadNetwork:
    """Lazily builds (or reads from cache) the graph of an OSM extract."""

    def __init__(self, extract: Path | None, cache_dir: Path) -> None:
        self.extract = extract
        self.cache_dir = cache_dir
        self._router: Router | None = None
        self._lock = threading.Lock()

    def router(self) -> Router:
        """The router, building the graph the first time (about a second for Helsinki)."""
        with self._lock:
            if self._router is None:
                path = self.extract or helsinki_extract()
                self._router = Router(load_or_build(path, self.cache_dir))
            return self._router

    @property
    def graph(self) -> RoadGraph:
        return self.router().graph
