"""Failed sign-ins are throttled per client address (429 with Retry-After), and the
account lockout holds only for the address that earned it: one address guessing cannot
lock a dispatcher out everywhere (issue 26, finding 5)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from signalfire.accounts.models import User
from signalfire.core.auth.permissions import Role
from tests.conftest import PASSWORD, Clock, World

WRONG = "not the password"


def _login(client: TestClient, username: str, password: str) -> int:
    body = {"username": username, "password": password}
    return client.post("/api/auth/login", json=body).status_code


def _from(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def test_a_second_address_signs_in_to_the_account_the_first_hammered(
    app: FastAPI, world: World, frozen_clock: Clock
) -> None:
    world.user("a.virtanen", world.agency(), [Role.DISPATCHER])
    attacker, dispatcher = _from(app, "203.0.113.9"), _from(app, "10.0.0.7")
    for _ in range(6):
        assert _login(attacker, "a.virtanen", WRONG) == 401
    assert _login(attacker, "a.virtanen", PASSWORD) == 401  # locked from there
    assert _login(dispatcher, "a.virtanen", PASSWORD) == 200  # not from here


def test_one_address_failing_often_gets_429_with_retry_after(
    app: FastAPI, world: World, frozen_clock: Clock
) -> None:
    agency = world.agency()
    users: list[User] = [world.user(f"user{i}", agency, [Role.DISPATCHER]) for i in range(7)]
    attacker = _from(app, "2001:db8:1:2::9")
    statuses = [_login(attacker, u.username, WRONG) for u in users for _ in range(3)]
    assert statuses[:20] == [401] * 20  # address_failure_limit = 20 per 10 minutes
    refused = attacker.post("/api/auth/login", json={"username": "user6", "password": PASSWORD})
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert 0 < int(refused.headers["retry-after"]) <= 600
    neighbour = _from(app, "2001:db8:1:2::77")  # the same /64: the same subscriber
    assert _login(neighbour, "user6", PASSWORD) == 429
    assert _login(_from(app, "10.0.0.7"), "user6", PASSWORD) == 200
    frozen_clock.advance(minutes=10, seconds=1)
    assert _login(attacker, "user6", PASSWORD) == 200
