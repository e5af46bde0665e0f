"""The install's road network: loaded once, on first use, and shared."""

from __future__ import annotations

import threading
from pathlib import Path

from signalfire.geo.geocode import Geocoder
from signalfire.geo.roads import RoadGraph, helsinki_extract, load_or_build
from signalfire.geo.routing import Router


class RoadNetwork:
    """Lazily builds (or reads from cache) the graph of an OSM extract."""

    def __init__(self, extract: Path | None, cache_dir: Path) -> None:
        self.extract = extract
        self.cache_dir = cache_dir
        self._router: Router | None = None
        self._geocoder: Geocoder | None = None
        self._lock = threading.Lock()

    def router(self) -> Router:
        """The router, building the graph the first time (about a second for Helsinki)."""
        with self._lock:
            if self._router is None:
                path = self.extract or helsinki_extract()
                self._router = Router(load_or_build(path, self.cache_dir))
            return self._router

    def geocoder(self) -> Geocoder:
        """The address index of the same extract, built on first use."""
        graph = self.graph
        with self._lock:
            if self._geocoder is None:
                self._geocoder = Geocoder.from_osm(self.extract or helsinki_extract(), graph)
            return self._geocoder

    @property
    def graph(self) -> RoadGraph:
        return self.router().graph
