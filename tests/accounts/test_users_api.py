"""Agencies and users over HTTP: validation, conflicts, permissions, agency scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signalfire.accounts.models import Agency, ApiToken, User
from signalfire.core.audit.models import AuditEntry
from signalfire.core.audit.service import details_of
from signalfire.core.auth.credentials import token_digest
from signalfire.core.auth.permissions import Role
from tests.conftest import World, bearer

PROBLEM_JSON = "application/problem+json"
NEW_PASSWORD = "a long enough secret"


# --- helpers -------------------------------------------------------------------------


def problem(response: Response, status: int) -> dict[str, Any]:
    """Assert ``response`` is a problem+json body of ``status``; return the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def new_user(**changes: Any) -> dict[str, Any]:
    """A valid POST /api/users body, with ``changes``."""
    body: dict[str, Any] = {
        "username": "b.korhonen",
        "display_name": "Bea Korhonen",
        "password": NEW_PASSWORD,
        "roles": ["dispatcher", "call_taker"],
    }
    return {**body, **changes}


def denials(db: Session) -> list[AuditEntry]:
    """Committed ``access.denied`` audit entries (ends ``db``'s transaction)."""
    db.expire_all()
    entries = list(
        db.scalars(
            select(AuditEntry).where(AuditEntry.action == "access.denied").order_by(AuditEntry.seq)
        )
    )
    db.commit()
    return entries


def user_count(db: Session) -> int:
    """How many users exist (ends ``db``'s transaction)."""
    count = db.scalar(select(func.count()).select_from(User)) or 0
    db.commit()
    return count


# --- fixtures --------------------------------------------------------------------------
# Arranged users have no password (no Argon2 cost) and act through API tokens.


@pytest.fixture
def fire(world: World) -> Agency:
    return world.agency("HKI-FIRE", "fire")


@pytest.fixture
def police(world: World) -> Agency:
    return world.agency("HKI-POL", "police")


@pytest.fixture
def fire_admin(world: World, fire: Agency) -> User:
    return world.user("fire.admin", fire, [Role.ADMIN], password=None)


@pytest.fixture
def admin(world: World, fire_admin: User) -> dict[str, str]:
    """Headers of the fire agency's admin."""
    return bearer(world.token(fire_admin))


@pytest.fixture
def officer(world: World, police: Agency) -> User:
    """A user of the other agency."""
    return world.user("p.officer", police, [Role.DISPATCHER], password=None)


# --- creating users ------------------------------------------------------------------


def test_admin_creates_a_user_in_their_own_agency(
    client: TestClient, fire: Agency, admin: dict[str, str]
) -> None:
    response = client.post("/api/users", json=new_user(), headers=admin)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["username"] == "b.korhonen"
    assert body["roles"] == ["call_taker", "dispatcher"]
    assert body["agency_id"] == fire.id
    assert body["is_active"] is True
    assert not any("password" in key for key in body)
    assert NEW_PASSWORD not in response.text
    assert "argon2" not in response.text
    signed_in = client.post(
        "/api/auth/login", json={"username": "b.korhonen", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text


def test_a_taken_username_is_a_conflict(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    assert client.post("/api/users", json=new_user(password=None), headers=admin).status_code == 201

    response = client.post("/api/users", json=new_user(password=None), headers=admin)

    body = problem(response, 409)
    assert "b.korhonen" in body["detail"]
    assert body["field"] == "username"
    assert user_count(db) == 2  # the admin and the first b.korhonen


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "Not Valid!"}, "body.username"),
        ({"username": "ab"}, "body.username"),
        ({"password": "short-pw-11"}, "body.password"),
        ({"roles": ["dispatcher", "wizard"]}, "body.roles[1]"),
        ({"nickname": "bee"}, "body.nickname"),
    ],
    ids=["bad-username", "short-username", "short-password", "unknown-role", "unknown-field"],
)
def test_invalid_input_is_a_422_naming_the_field(
    client: TestClient, db: Session, admin: dict[str, str], changes: dict[str, Any], field: str
) -> None:
    response = client.post("/api/users", json=new_user(**changes), headers=admin)

    body = problem(response, 422)
    assert [error["field"] for error in body["errors"]] == [field]
    assert field in body["detail"]
    assert "short-pw-11" not in response.text  # secrets are never echoed
    assert user_count(db) == 1


def test_a_supervisor_may_list_users_but_not_create_them(
    client: TestClient, db: Session, world: World, fire: Agency
) -> None:
    supervisor = world.user("s.supervisor", fire, [Role.SUPERVISOR], password=None)
    headers = bearer(world.token(supervisor))

    listed = client.get("/api/users", headers=headers)
    created = client.post("/api/users", json=new_user(), headers=headers)

    assert listed.status_code == 200, listed.text
    assert [u["username"] for u in listed.json()] == ["s.supervisor"]
    assert "user.manage" in problem(created, 403)["detail"]
    assert user_count(db) == 1
    [denial] = denials(db)
    assert (denial.outcome, denial.actor_user_id) == ("denied", supervisor.id)
    assert details_of(denial)["permission"] == "user.manage"


def test_a_dispatcher_may_not_list_users(client: TestClient, world: World, fire: Agency) -> None:
    dispatcher = world.user("d.dispatcher", fire, [Role.DISPATCHER], password=None)

    response = client.get("/api/users", headers=bearer(world.token(dispatcher)))

    assert "user.read" in problem(response, 403)["detail"]


def test_an_admin_unlocks_a_locked_user(
    client: TestClient, db: Session, world: World, fire: Agency, admin: dict[str, str]
) -> None:
    locked = world.user("l.locked", fire, [Role.DISPATCHER], password=None)
    stored = db.get(User, locked.id)
    assert stored is not None
    stored.failed_logins, stored.locked_until = 3, datetime.now(UTC) + timedelta(minutes=10)
    db.commit()

    response = client.patch(f"/api/users/{locked.id}", json={"unlock": True}, headers=admin)

    assert response.status_code == 200, response.text
    assert response.json()["locked_until"] is None
    db.expire_all()
    assert db.scalar(select(User.failed_logins).where(User.id == locked.id)) == 0
    [update] = db.scalars(select(AuditEntry).where(AuditEntry.action == "user.updated"))
    assert details_of(update)["changed"] == ["unlock"]
    db.commit()


# --- agency scoping ------------------------------------------------------------------


def test_users_of_another_agency_look_as_if_they_did_not_exist(
    client: TestClient, admin: dict[str, str], officer: User
) -> None:
    read = client.get(f"/api/users/{officer.id}", headers=admin)
    changed = client.patch(f"/api/users/{officer.id}", json={"is_active": False}, headers=admin)
    missing = client.get("/api/users/99999", headers=admin)

    assert problem(read, 404)["detail"] == f"no user with id {officer.id}"
    assert problem(changed, 404)["detail"] == f"no user with id {officer.id}"
    assert problem(missing, 404)["detail"] == "no user with id 99999"


def test_another_agencys_user_is_not_changed(
    client: TestClient, db: Session, admin: dict[str, str], officer: User
) -> None:
    client.patch(
        f"/api/users/{officer.id}", json={"is_active": False, "roles": ["admin"]}, headers=admin
    )

    db.expire_all()
    stored = db.get(User, officer.id)
    assert stored is not None
    assert (stored.is_active, stored.roles) == (True, ["dispatcher"])
    db.commit()


def test_the_user_list_holds_only_the_callers_agency(
    client: TestClient, world: World, fire: Agency, admin: dict[str, str], officer: User
) -> None:
    world.user("f.fighter", fire, [Role.DISPATCHER], password=None)

    response = client.get("/api/users", headers=admin)

    assert response.status_code == 200, response.text
    assert [u["username"] for u in response.json()] == ["f.fighter", "fire.admin"]


def test_an_admin_cannot_add_a_user_to_another_agency(
    client: TestClient, db: Session, police: Agency, admin: dict[str, str]
) -> None:
    response = client.post("/api/users", json=new_user(agency_id=police.id), headers=admin)

    assert "HKI-POL" in problem(response, 403)["detail"]
    assert user_count(db) == 1


def test_an_admin_cannot_change_another_agencys_mfa_policy_and_the_denial_is_audited(
    client: TestClient, db: Session, police: Agency, fire_admin: User, admin: dict[str, str]
) -> None:
    url = f"/api/agencies/{police.id}/mfa-policy"

    response = client.put(url, json={"required_roles": ["dispatcher"]}, headers=admin)

    assert "own agency" in problem(response, 403)["detail"]
    db.expire_all()
    stored = db.get(Agency, police.id)
    assert stored is not None
    assert stored.mfa_required_roles == []
    db.commit()
    [denial] = denials(db)
    assert (denial.outcome, denial.actor_user_id) == ("denied", fire_admin.id)
    assert details_of(denial)["path"] == url
    assert details_of(denial)["method"] == "PUT"


def test_an_admin_sets_their_own_agencys_mfa_policy(
    client: TestClient, fire: Agency, admin: dict[str, str]
) -> None:
    response = client.put(
        f"/api/agencies/{fire.id}/mfa-policy",
        json={"required_roles": ["supervisor", "dispatcher", "dispatcher"]},
        headers=admin,
    )

    assert response.status_code == 200, response.text
    assert response.json()["mfa_required_roles"] == ["dispatcher", "supervisor"]


def token_id(db: Session, token: str) -> int:
    """Id of the stored API token ``token`` (ends ``db``'s transaction)."""
    found = db.scalar(select(ApiToken.id).where(ApiToken.token_digest == token_digest(token)))
    db.commit()
    assert found is not None
    return found


def test_api_tokens_of_another_agency_are_out_of_reach(
    client: TestClient, db: Session, world: World, admin: dict[str, str], officer: User
) -> None:
    officer_token = world.token(officer)
    officer_token_id = token_id(db, officer_token)

    listed = client.get("/api/tokens", headers=admin)
    revoked = client.delete(f"/api/tokens/{officer_token_id}", headers=admin)
    issued = client.post(
        "/api/tokens", json={"user_id": officer.id, "name": "stolen"}, headers=admin
    )

    assert officer_token_id not in [t["id"] for t in listed.json()]
    assert len(listed.json()) == 1  # the admin's own
    problem(revoked, 404)
    assert problem(issued, 404)["detail"] == f"no user with id {officer.id}"
    assert client.get("/api/auth/me", headers=bearer(officer_token)).status_code == 200


def test_another_agencys_api_token_looks_as_if_it_did_not_exist(
    client: TestClient, db: Session, world: World, admin: dict[str, str], officer: User
) -> None:
    # Regression: revoke() used to answer "no user with id <owner>" here, telling an
    # admin which token ids exist in other agencies and whose they are.
    officer_token_id = token_id(db, world.token(officer))

    foreign = client.delete(f"/api/tokens/{officer_token_id}", headers=admin)
    missing = client.delete("/api/tokens/99999", headers=admin)

    assert problem(missing, 404)["detail"] == "no API token with id 99999"
    assert problem(foreign, 404)["detail"] == f"no API token with id {officer_token_id}"


# --- agencies --------------------------------------------------------------------------


def test_an_admin_registers_an_agency_and_a_taken_code_is_a_conflict(
    client: TestClient, admin: dict[str, str]
) -> None:
    data = {"code": "ESP-EMS", "name": "Espoo Emergency Medical Service", "kind": "ems"}

    created = client.post("/api/agencies", json=data, headers=admin)
    duplicate = client.post("/api/agencies", json={**data, "name": "Other"}, headers=admin)

    assert created.status_code == 201, created.text
    assert created.json()["code"] == "ESP-EMS"
    assert created.json()["kind"] == "ems"
    assert created.json()["mfa_required_roles"] == []
    body = problem(duplicate, 409)
    assert "ESP-EMS" in body["detail"]
    assert body["field"] == "code"
    listed = client.get("/api/agencies", headers=admin).json()
    assert [a["code"] for a in listed] == ["ESP-EMS", "HKI-FIRE"]


def test_an_invalid_agency_is_a_422_naming_the_field(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post(
        "/api/agencies", json={"code": "esp ems", "name": "Espoo", "kind": "navy"}, headers=admin
    )

    fields = sorted(error["field"] for error in problem(response, 422)["errors"])
    assert fields == ["body.code", "body.kind"]


def test_only_an_admin_registers_agencies(client: TestClient, world: World, fire: Agency) -> None:
    supervisor = world.user("s.supervisor", fire, [Role.SUPERVISOR], password=None)
    data = {"code": "ESP-EMS", "name": "Espoo EMS", "kind": "ems"}

    response = client.post("/api/agencies", json=data, headers=bearer(world.token(supervisor)))

    assert "agency.manage" in problem(response, 403)["detail"]


def test_a_request_without_credentials_is_a_401(client: TestClient) -> None:
    response = client.get("/api/users")

    assert "sign in first" in problem(response, 401)["detail"]


def test_roles_can_be_added_to_and_taken_from_a_user(
    client: TestClient, admin: dict[str, str]
) -> None:
    made = client.post("/api/users", json=new_user(roles=["dispatcher"]), headers=admin).json()
    for roles in (["dispatcher", "supervisor"], ["dispatcher", "supervisor"], ["call_taker"]):
        response = client.patch(f"/api/users/{made['id']}", json={"roles": roles}, headers=admin)
        assert response.status_code == 200, response.text
        assert response.json()["roles"] == sorted(roles)


def test_an_admin_may_not_make_auditors_or_change_own_roles(
    client: TestClient, admin: dict[str, str], fire_admin: User
) -> None:
    problem(client.post("/api/users", json=new_user(roles=["auditor"]), headers=admin), 403)
    made = client.post("/api/users", json=new_user(roles=["dispatcher"]), headers=admin).json()
    promote = client.patch(f"/api/users/{made['id']}", json={"roles": ["auditor"]}, headers=admin)
    problem(promote, 403)
    problem(
        client.patch(
            f"/api/users/{fire_admin.id}", json={"roles": ["admin", "auditor"]}, headers=admin
        ),
        403,
    )


def test_api_tokens_are_only_for_accounts_without_a_password(
    client: TestClient, admin: dict[str, str]
) -> None:
    person = client.post("/api/users", json=new_user(roles=["dispatcher"]), headers=admin).json()
    refused = client.post("/api/tokens", json={"user_id": person["id"], "name": "x"}, headers=admin)
    assert "password" in problem(refused, 403)["detail"]
