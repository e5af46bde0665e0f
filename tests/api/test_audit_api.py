"""Auditors search the trail over HTTP, stating why; the search is itself audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from signalfire.core.audit.models import AuditEntry, AuditHead
from signalfire.core.auth.permissions import Role
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime
from tests.conftest import World, bearer
from tests.core.test_audit_storage import unprotect

WHY = {"X-Signalfire-Purpose": "quarterly access review", "X-Signalfire-Case": "AUD-2026-4"}


@pytest.fixture
def setup(world: World, client: TestClient) -> tuple[dict[str, str], dict[str, str], int]:
    """Two agencies with an admin each; returns auditor headers of A, admin headers of A."""
    fire, police = world.agency("FIRE"), world.agency("POLICE", kind="police")
    fire_admin = world.user("fire.admin", fire, [Role.ADMIN], password=None)
    police_admin = world.user("police.admin", police, [Role.ADMIN], password=None)
    auditor = world.user("fire.auditor", fire, [Role.AUDITOR], password=None)
    admin_headers = bearer(world.token(fire_admin))
    for n in range(3):
        body = {"username": f"fire.user{n}", "display_name": "u", "roles": ["dispatcher"]}
        assert client.post("/api/users", json=body, headers=admin_headers).status_code == 201
    body = {"username": "police.user", "display_name": "p", "roles": ["dispatcher"]}
    police_headers = bearer(world.token(police_admin))
    assert client.post("/api/users", json=body, headers=police_headers).status_code == 201
    return {**bearer(world.token(auditor)), **WHY}, admin_headers, fire.id


def test_search_requires_a_stated_purpose(
    client: TestClient, setup: tuple[dict[str, str], dict[str, str], int]
) -> None:
    auditor, _admin, _fire = setup
    headers = {"Authorization": auditor["Authorization"]}
    response = client.get("/api/audit", headers=headers)
    assert response.status_code == 422
    assert response.json()["field"] == "X-Signalfire-Purpose"


def test_auditor_sees_own_agency_newest_first_with_filters(
    client: TestClient, setup: tuple[dict[str, str], dict[str, str], int]
) -> None:
    auditor, _admin, fire = setup
    entries = client.get("/api/audit", params={"action": "user.created"}, headers=auditor).json()
    usernames = [e["details"]["username"] for e in entries]
    # Two from the fixture's operator, three over the API; none of the police agency's.
    assert usernames == ["fire.user2", "fire.user1", "fire.user0", "fire.auditor", "fire.admin"]
    assert all(e["agency_id"] == fire for e in entries)
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs, reverse=True)
    page = client.get(
        "/api/audit",
        params={"action": "user.created", "before_seq": seqs[1], "limit": 2},
        headers=auditor,
    ).json()
    assert [e["seq"] for e in page] == seqs[2:4]


def test_denials_can_be_listed(
    client: TestClient, setup: tuple[dict[str, str], dict[str, str], int]
) -> None:
    auditor, admin, _fire = setup
    assert client.get("/api/audit", headers={**admin, **WHY}).status_code == 403
    denied = client.get("/api/audit", params={"outcome": "denied"}, headers=auditor).json()
    assert [(e["action"], e["actor_username"]) for e in denied] == [("access.denied", "fire.admin")]
    assert denied[0]["details"]["path"] == "/api/audit"


def test_searching_the_trail_is_itself_audited(
    client: TestClient, setup: tuple[dict[str, str], dict[str, str], int]
) -> None:
    auditor, _admin, _fire = setup
    client.get("/api/audit", params={"record_type": "user"}, headers=auditor)
    reads = client.get("/api/audit", params={"action": "audit.read"}, headers=auditor).json()
    assert len(reads) == 1
    assert reads[0]["purpose"] == WHY["X-Signalfire-Purpose"]
    assert reads[0]["case_number"] == WHY["X-Signalfire-Case"]
    assert reads[0]["details"]["filters"]["record_type"] == "user"


def test_verify_over_http(
    client: TestClient, setup: tuple[dict[str, str], dict[str, str], int]
) -> None:
    auditor, _admin, _fire = setup
    result = client.get("/api/audit/verify", headers=auditor).json()
    assert result["ok"] is True
    assert result["checked"] == result["head_seq"] >= 9


def test_verify_over_http_reports_a_cut_tail(
    client: TestClient, setup: tuple[dict[str, str], dict[str, str], int], runtime: Runtime
) -> None:
    auditor, _admin, _fire = setup
    head = client.get("/api/audit/verify", headers=auditor).json()["head_seq"]
    with transaction(runtime.sessions) as db:
        unprotect(db)
        kept = db.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == head - 2))
        db.execute(delete(AuditEntry).where(AuditEntry.seq > head - 2))
        db.execute(update(AuditHead).values(seq=head - 2, entry_hash=kept))
    result = client.get("/api/audit/verify", headers=auditor).json()
    assert result["ok"] is False
    assert result["witness"] == "truncated"
    assert result["witness_seq"] >= head
