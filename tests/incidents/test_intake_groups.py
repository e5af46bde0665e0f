"""Incidents opened in groups (the API's group commit): one statement per table, each
call still numbered, checked and answered on its own."""

from __future__ import annotations

import asyncio
import threading

import httpx2 as httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signalfire.core.audit import service as audit
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.db import transaction
from signalfire.core.errors import Invalid
from signalfire.core.group_commit import GroupCommit
from signalfire.incidents import intake
from signalfire.incidents.models import Incident, TimelineEvent
from signalfire.incidents.schemas import CallerIn, IncidentCreate, LocationIn
from tests.conftest import Clock, World, bearer

SQUARE = (60.1699, 24.9384)


def _call(nature: str = "FIRE-STRUCTURE", *, number: str | None = None) -> IncidentCreate:
    return IncidentCreate(
        nature_code=nature,
        location=LocationIn(lat=SQUARE[0], lon=SQUARE[1], source="caller_device"),
        caller=CallerIn(number=number) if number else None,
    )


def test_a_group_is_numbered_in_order_and_an_invalid_call_fails_alone(
    world: World, frozen_clock: Clock
) -> None:
    fire, police = world.agency("FIRE"), world.agency("POLICE", kind="police")
    taker = Actor(None, "taker", fire.id, frozenset({Role.CALL_TAKER}), "cli")
    other = Actor(None, "other", police.id, frozenset({Role.CALL_TAKER}), "cli")
    calls = [
        intake.Intake(taker, _call(number="+358401111111")),
        intake.Intake(taker, _call("NO-SUCH-NATURE")),
        intake.Intake(other, _call("LAW-THEFT")),
        intake.Intake(taker, _call(number="+358402222222")),
    ]
    with transaction(world.runtime.sessions) as db:
        outcomes = intake.create_many(db=db, intakes=calls)
    first, refused, theft, second = outcomes
    assert isinstance(refused, Invalid)
    assert "NO-SUCH-NATURE" in str(refused)
    assert not isinstance(first, Exception)
    assert not isinstance(second, Exception)
    assert not isinstance(theft, Exception)
    assert [first.incident.number, second.incident.number, theft.incident.number] == [
        "2026-000001",
        "2026-000002",
        "2026-000001",
    ]
    # The second call at the same place finds the first; the first does not find the
    # second, which did not exist yet when it came in. Another agency's is not seen.
    assert first.candidates == []
    assert [c.incident_id for c in second.candidates] == [first.incident.id]
    assert theft.candidates == []
    with transaction(world.runtime.reader) as db:
        assert db.scalar(select(func.count()).select_from(Incident)) == 3
        entered = db.scalars(
            select(TimelineEvent.incident_id).where(TimelineEvent.kind == "incident_entered")
        )
        assert sorted(entered) == sorted([first.incident.id, second.incident.id, theft.incident.id])
        assert audit.verify(db).ok
    with transaction(world.runtime.sessions) as db:  # numbering goes on from the group
        (after,) = intake.create_many(db=db, intakes=[intake.Intake(taker, _call())])
    assert not isinstance(after, Exception)
    assert after.incident.number == "2026-000003"


def test_concurrent_calls_over_http_each_get_their_own_answer(
    app: FastAPI, world: World, frozen_clock: Clock
) -> None:
    fire = world.agency("FIRE")
    taker = world.token(world.user("fire.taker", fire, [Role.CALL_TAKER], password=None))
    analyst = world.token(world.user("fire.analyst", fire, [Role.ANALYST], password=None))
    body = {
        "nature_code": "FIRE-STRUCTURE",
        "location": {"lat": SQUARE[0], "lon": SQUARE[1], "source": "caller_device"},
    }

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            posts = [
                client.post("/api/incidents", json=body, headers=bearer(taker)) for _ in range(12)
            ]
            posts.append(client.post("/api/incidents", json=body, headers=bearer(analyst)))
            posts.append(
                client.post(
                    "/api/incidents", json=body | {"nature_code": "NOPE"}, headers=bearer(taker)
                )
            )
            posts.append(client.post("/api/incidents", json=body, headers=bearer("sf_nonsense")))
            return list(await asyncio.gather(*posts))

    answers = asyncio.run(scenario())
    opened, denied, unknown, unsigned = answers[:12], answers[12], answers[13], answers[14]
    assert [r.status_code for r in opened] == [201] * 12
    numbers = sorted(r.json()["incident"]["number"] for r in opened)
    assert numbers == [f"2026-{n:06d}" for n in range(1, 13)]
    # Each later call at the same place lists the earlier ones (at most ten).
    found = sorted(len(r.json()["duplicates"]) for r in opened)
    assert found == [min(n, 10) for n in range(12)]
    assert denied.status_code == 403
    assert unknown.status_code == 422
    assert "NOPE" in unknown.json()["detail"]
    assert unsigned.status_code == 401
    with transaction(world.runtime.reader) as db:
        denials = audit.search(db, where=audit.AuditFilter(outcome="denied"))
        assert [d.actor_username for d in denials] == ["fire.analyst"]
        assert audit.verify(db).ok


def test_a_group_beside_one_that_breaks_is_opened_once(world: World, frozen_clock: Clock) -> None:
    fire = world.agency("FIRE")
    taker = Actor(None, "taker", fire.id, frozenset({Role.CALL_TAKER}), "cli")
    writer = GroupCommit(world.runtime.sessions)
    gate = threading.Event()
    held: list[Incident] = []  # the first try's incidents stay referenced

    def open_all(db: Session, intakes: list[intake.Intake]) -> list[str | Exception]:
        gate.wait(5)  # the first batch waits until every call is queued behind it
        opened = intake.create_many(db=db, intakes=intakes)
        held.extend(o.incident for o in opened if isinstance(o, intake.Opened))
        return [o if isinstance(o, Exception) else o.incident.number for o in opened]

    def break_all(db: Session, items: list[int]) -> list[int | Exception]:
        raise RuntimeError("a statement broke")

    async def scenario() -> tuple[list[str | BaseException], int | BaseException]:
        calls = [
            asyncio.create_task(writer.run(open_all, intake.Intake(taker, _call())))
            for _ in range(5)
        ]
        breaking = asyncio.create_task(writer.run(break_all, 0))
        await asyncio.sleep(0.1)
        gate.set()
        opened = await asyncio.gather(*calls, return_exceptions=True)
        (failed,) = await asyncio.gather(breaking, return_exceptions=True)
        return list(opened), failed

    numbers, broken = asyncio.run(scenario())
    assert numbers == [f"2026-{n:06d}" for n in range(1, 6)]
    assert isinstance(broken, RuntimeError)
    with transaction(world.runtime.reader) as db:
        assert db.scalar(select(func.count()).select_from(Incident)) == 5
        entered = db.scalars(
            select(TimelineEvent.incident_id).where(TimelineEvent.kind == "incident_entered")
        )
        assert len(list(entered)) == 5
        assert audit.verify(db).ok
