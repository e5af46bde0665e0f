"""Run inside a Python >= 3.12 environment with ``osrm-bindings``: answer the routing
benchmark's queries with OSRM's Table service and time them.

Usage: ``python osrm_peer.py DATASET.osrm QUERIES.json ANSWERS.json``; each query is
``{"target": [lon, lat], "origins": [[lon, lat], ...]}``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import osrm


def main() -> None:
    dataset, queries_path, answers_path = sys.argv[1:4]
    engine = osrm.OSRM(storage_config=dataset, algorithm="MLD", use_shared_memory=False)
    queries = json.loads(Path(queries_path).read_text())
    answers = []
    for query in queries:
        coordinates = [tuple(query["target"])] + [tuple(o) for o in query["origins"]]
        params = osrm.TableParameters(
            coordinates=coordinates,
            sources=list(range(1, len(coordinates))),
            destinations=[0],
            annotations=["duration"],
        )
        started = time.perf_counter()
        result = engine.Table(params)
        elapsed = time.perf_counter() - started
        durations = [row[0] for row in result["durations"]]
        answers.append(
            {"seconds": [d if d is not None else None for d in durations], "elapsed": elapsed}
        )
    Path(answers_path).write_text(json.dumps(answers))


if __name__ == "__main__":
    main()
