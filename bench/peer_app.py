"""The peer every HTTP benchmark runs beside Signalfire: a bare FastAPI app on uvicorn
writing to SQLite (WAL) with the standard library's ``sqlite3`` and broadcasting over
WebSocket, with none of Signalfire's work (no auth, validation of a full incident, audit
chain, timeline, duplicate check or agency scoping). It shows the floor the framework,
server and database set on this machine.

Run as ``python -m bench.peer_app PORT DB``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
from typing import Any

import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect


def build(db_path: str) -> FastAPI:
    connection = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE IF NOT EXISTS incidents (id INTEGER PRIMARY KEY, body TEXT)")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS positions (unit_id INT, at TEXT, lat REAL, lon REAL, "
        "UNIQUE (unit_id, at))"
    )
    app = FastAPI()
    write_lock = threading.Lock()
    sockets: set[WebSocket] = set()

    @app.get("/readyz")
    def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/incidents", status_code=201)
    async def intake(body: dict[str, Any]) -> dict[str, Any]:
        cursor = connection.execute("INSERT INTO incidents (body) VALUES (?)", (str(body),))
        message = {
            "type": "delta",
            "topic": "incident.changed",
            "data": {"incident": {"id": cursor.lastrowid, **body}},
        }
        await asyncio.gather(*(s.send_json(message) for s in list(sockets)), return_exceptions=True)
        return {"id": cursor.lastrowid}

    @app.post("/positions")
    def positions(body: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
        rows = [(p["unit_id"], p["time"], p["lat"], p["lon"]) for p in body["positions"]]
        with write_lock:  # one connection, one transaction at a time
            connection.execute("BEGIN")
            connection.executemany("INSERT OR IGNORE INTO positions VALUES (?, ?, ?, ?)", rows)
            connection.execute("COMMIT")
        return {"accepted": len(rows)}

    @app.websocket("/live")
    async def live(socket: WebSocket) -> None:
        await socket.accept()
        await socket.send_json({"type": "snapshot"})
        sockets.add(socket)
        try:
            while True:
                await socket.receive_text()
        except WebSocketDisconnect:
            sockets.discard(socket)

    return app


if __name__ == "__main__":
    uvicorn.run(build(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
