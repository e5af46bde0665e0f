"""Incident intake rate through the HTTP API, embedded SQLite, one server process.

Run: ``.venv/bin/python -m bench.intake``.
"""

from __future__ import annotations

import asyncio
import random
import statistics

from bench.harness import machine, peer_served, record, served
from bench.load import post_all

INCIDENTS = 2000
CONCURRENCY = 16
TARGET = 500
ROUNDS = 3
NATURES = ["FIRE-ALARM", "MED-FALL", "TC-NO-INJURY", "LAW-THEFT", "MED-CHEST-PAIN"]


def body(rng: random.Random) -> dict[str, object]:
    return {
        "nature_code": rng.choice(NATURES),
        "location": {
            "lat": 60.15 + rng.random() * 0.05,
            "lon": 24.90 + rng.random() * 0.1,
            "source": "caller_device",
            "accuracy_m": 15,
        },
        "caller": {"number": f"+35840{rng.randrange(10**7):07d}"},
        "summary": "benchmark call",
    }


async def drive(url: str, headers: dict[str, str]) -> float:
    """Post ``INCIDENTS`` incidents from ``CONCURRENCY`` clients; returns incidents/s."""
    rng = random.Random(7)
    bodies = [body(rng) for _ in range(INCIDENTS)]
    return await post_all(url, bodies, headers=headers, concurrency=CONCURRENCY)


def main() -> None:
    ours, floor = [], []
    for _round in range(ROUNDS):  # alternate, so a slow spell of the machine hits both
        with served(units_count=10) as install:
            headers = {"Authorization": f"Bearer {install.tokens['dispatcher']}"}
            ours.append(asyncio.run(drive(f"{install.base_url}/api/incidents", headers)))
        with peer_served() as peer:
            floor.append(asyncio.run(drive(f"{peer}/incidents", {})))
    verdict = "Met." if statistics.median(ours) >= TARGET else "**Not met.**"
    record(
        "Incident intake",
        f"""
Command: `.venv/bin/python -m bench.intake` ({machine()}).
{INCIDENTS} incidents from {CONCURRENCY} concurrent HTTP clients (aiohttp, `bench/load.py`)
against `signalfire serve` (one uvicorn process with uvloop and httptools, embedded
SQLite in WAL mode). Each Signalfire intake authenticates the API token, validates the
call, numbers the incident, stores location and caller, writes three timeline events,
runs the duplicate check, and chains an audit entry. Calls that arrive together are
written together: one transaction, one statement per table (group commit,
`core/group_commit.py`); each still gets its own answer or error. The incidents fall in
a 5 x 5.5 km area within seconds, so by the end each new one has dozens of open
incidents within 500 m to weigh as duplicates. Peer in the same run:
`bench/peer_app.py`, a bare FastAPI endpoint that stores the JSON body with `sqlite3`
(no auth, audit, timeline or duplicate check).

Median of {ROUNDS} rounds, each on a fresh install, Signalfire and peer alternating (this
shared machine's speed drifts by a fifth from minute to minute):

| system | incidents/s | rounds |
|---|---:|---|
| Signalfire `POST /api/incidents` | {statistics.median(ours):,.0f} | {_rounds(ours)} |
| peer: bare FastAPI + sqlite3 insert | {statistics.median(floor):,.0f} | {_rounds(floor)} |

Target: >= {TARGET} incidents/s. {verdict}

Where the time goes (py-spy on the server during this benchmark): about three quarters
in the writer thread, of which the duplicate check over this dense area is a third and
SQLAlchemy's execution of the group's statements most of the rest (the audit chain, the
events); a quarter in uvicorn and FastAPI on the event loop. Spread over 28 x 39 km the
same server takes about 290 incidents/s. Before group commit (one transaction and about
18 ORM statements per intake, uvicorn's pure-Python HTTP parser) it took 64/s.
""",
    )
    print(f"signalfire {_rounds(ours)} /s, peer {_rounds(floor)} /s")


def _rounds(rates: list[float]) -> str:
    return ", ".join(f"{rate:,.0f}" for rate in rates)


if __name__ == "__main__":
    main()
