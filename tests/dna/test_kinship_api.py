"""Familial search (off by default, switched on, approved, audited) and disaster-victim
identification over HTTP, with families built from the NIST 1036 genotypes."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from signalfire.core.audit.chain import content_hash
from signalfire.core.audit.models import AuditEntry
from signalfire.core.auth.permissions import Role
from signalfire.core.runtime import Runtime
from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.kinship import kinship_index
from tests.conftest import Clock, World
from tests.dna.support import CASE, WHY, Lab, colleague, frequency_csv, lab, wide_csv
from tests.strstats import nist
from tests.units.support import ok

Person = dict[str, tuple[str, str]]
PEOPLE = [person for _, person in nist.read_csv().values()]
TABLE = FrequencyTable.from_genotypes(PEOPLE)
RNG = random.Random(1036)


def child(father: Person, mother: Person) -> Person:
    return {
        locus: tuple(sorted((RNG.choice(father[locus]), RNG.choice(mother[locus]))))  # type: ignore[misc]
        for locus in father
        if locus in mother
    }


FATHER, MOTHER = PEOPLE[10], PEOPLE[11]
QUERY, SIBLING = child(FATHER, MOTHER), child(FATHER, MOTHER)


@pytest.fixture
def fire(world: World, frozen_clock: Clock) -> Lab:
    return lab(world, "FIRE")


@pytest.fixture
def admin(world: World, fire: Lab) -> dict[str, str]:
    return colleague(world, fire.agency, "fire.admin", Role.ADMIN)


@pytest.fixture
def supervisor(world: World, fire: Lab) -> dict[str, str]:
    return colleague(world, fire.agency, "fire.dnasup", Role.DNA_SUPERVISOR)


def store(client: TestClient, who: Lab, people: dict[str, Person], index: str) -> dict[str, int]:
    body = {"csv": wide_csv(people), "index": index}
    report = ok(client.post("/api/dna/profiles/import", json=body, headers=who.analyst), 201)
    assert report["rejected"] == []
    return {p["specimen_id"]: p["id"] for p in report["profiles"]}


def store_table(client: TestClient, who: Lab) -> None:
    ok(
        client.post(
            "/api/dna/frequencies",
            content=frequency_csv(TABLE),
            params={"name": "NIST", "population": "U.S. all"},
            headers={**who.analyst, "content-type": "text/csv"},
        ),
        201,
    )


def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    with runtime.sessions() as db:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list(db.scalars(query))


@pytest.fixture
def database(client: TestClient, fire: Lab) -> dict[str, int]:
    """A forensic unknown (the query), 200 unrelated offenders and the query's sibling."""
    offenders = {f"OFF{n:03}": PEOPLE[100 + n] for n in range(200)}
    ids = store(client, fire, {**offenders, "OFF-SIB": SIBLING}, "offender")
    ids |= store(client, fire, {"SCENE-1": QUERY}, "forensic_unknown")
    store_table(client, fire)
    return ids


def approve(client: TestClient, supervisor: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {"case_number": CASE, "specimen_id": "SCENE-1", "reason": "homicide, leads gone"}
    result: dict[str, Any] = ok(
        client.post("/api/dna/familial/approvals", json=payload | body, headers=supervisor), 201
    )
    return result


def switch_on(client: TestClient, admin: dict[str, str]) -> None:
    body = {"enabled": True, "reason": "state familial search policy adopted"}
    ok(client.put("/api/dna/familial/settings", json=body, headers=admin))


def test_familial_search_is_off_until_an_admin_switches_it_on(
    client: TestClient,
    fire: Lab,
    admin: dict[str, str],
    supervisor: dict[str, str],
    database: dict[str, int],
    runtime: Runtime,
) -> None:
    assert (
        ok(client.get("/api/dna/familial/settings", headers=fire.analyst))["familial_search"]
        is False
    )
    refused = client.post(
        "/api/dna/familial/approvals",
        json={"case_number": CASE, "specimen_id": "SCENE-1", "reason": "r"},
        headers=supervisor,
    )
    assert refused.status_code == 409
    assert "switched off" in refused.json()["detail"]
    body = {"approval_id": 1, "frequency_table": "NIST"}
    off = client.post("/api/dna/familial/search", json=body, headers=fire.analyst)
    assert off.status_code == 403
    analyst_switch = client.put(
        "/api/dna/familial/settings", json={"enabled": True, "reason": "x"}, headers=fire.analyst
    )
    assert analyst_switch.status_code == 403  # only administrators hold the switch
    switch_on(client, admin)
    (switched,) = audit(runtime, "dna.familial.switched")
    assert '"enabled":true' in switched.details
    assert "policy adopted" in switched.details


def test_an_approved_run_finds_the_sibling_first_and_is_audited(
    client: TestClient,
    fire: Lab,
    admin: dict[str, str],
    supervisor: dict[str, str],
    database: dict[str, int],
    runtime: Runtime,
) -> None:
    switch_on(client, admin)
    approval = approve(client, supervisor)
    body = {"approval_id": approval["id"], "frequency_table": "NIST", "top": 5}
    result = ok(client.post("/api/dna/familial/search", json=body, headers=fire.analyst))
    assert result["searched"] == 201  # offenders and arrestees, not the query itself
    first = result["candidates"][0]
    assert first["profile_id"] == database["OFF-SIB"]
    expected = kinship_index(QUERY, SIBLING, "full-sib", TABLE)
    assert first["lr"] == pytest.approx(expected, rel=1e-9)
    assert math.prod(m["lr"] for m in first["loci"]) == pytest.approx(expected, rel=1e-9)
    assert len(result["candidates"]) == 5
    assert database["SCENE-1"] not in {c["profile_id"] for c in result["candidates"]}
    (entry,) = audit(runtime, "dna.familial.searched")
    assert (entry.purpose, entry.case_number) == (WHY["X-Signalfire-Purpose"], CASE)
    assert f'"approval_id":{approval["id"]}' in entry.details
    assert f'"result_sha256":"{content_hash(result)}"' in entry.details
    assert len(audit(runtime, "dna.familial.approved")) == 1


def test_runs_outside_the_approval_are_refused(
    client: TestClient,
    fire: Lab,
    admin: dict[str, str],
    supervisor: dict[str, str],
    database: dict[str, int],
    frozen_clock: Clock,
    world: World,
) -> None:
    switch_on(client, admin)
    approval = approve(client, supervisor, valid_days=2)
    body = {"approval_id": approval["id"], "frequency_table": "NIST"}
    other_case = {**fire.analyst, "X-Signalfire-Case": "2026-0099"}
    wrong = client.post("/api/dna/familial/search", json=body, headers=other_case)
    assert wrong.status_code == 403
    assert "2026-0099" in wrong.json()["detail"]
    unknown = client.post(
        "/api/dna/familial/search", json={**body, "approval_id": 999}, headers=fire.analyst
    )
    assert unknown.status_code == 404
    missing = client.post(
        "/api/dna/familial/approvals",
        json={"case_number": CASE, "specimen_id": "NOPE", "reason": "r"},
        headers=supervisor,
    )
    assert missing.status_code == 404
    frozen_clock.advance(days=3)
    expired = client.post("/api/dna/familial/search", json=body, headers=fire.analyst)
    assert expired.status_code == 403
    assert "expired" in expired.json()["detail"]
    headers = colleague(world, fire.agency, "fire.both", Role.DNA_ANALYST, Role.DNA_SUPERVISOR)
    own = approve(client, headers)
    self_run = client.post(
        "/api/dna/familial/search", json={**body, "approval_id": own["id"]}, headers=headers
    )
    assert self_run.status_code == 403
    assert "someone other" in self_run.json()["detail"]


def family(label: str, references: dict[str, str]) -> dict[str, Any]:
    members = [
        {"id": "fa", "sex": "male", "specimen_id": references.get("fa")},
        {"id": "mo", "sex": "female", "specimen_id": references.get("mo")},
        {"id": "mp", "father": "fa", "mother": "mo", "sex": "unknown"},
        {
            "id": "sib",
            "father": "fa",
            "mother": "mo",
            "sex": "female",
            "specimen_id": references.get("sib"),
        },
    ]
    return {"label": label, "members": members, "missing": "mp"}


def test_dvi_identifies_each_victim_with_its_family(
    client: TestClient, fire: Lab, runtime: Runtime
) -> None:
    victims: dict[str, Person] = {}
    relatives: dict[str, Person] = {}
    for n in range(3):
        father, mother = PEOPLE[2 * n], PEOPLE[2 * n + 1]
        victims[f"UR-{n}"] = child(father, mother)
        relatives[f"REF-{n}-FA"] = father
        relatives[f"REF-{n}-SIB"] = child(father, mother)
    victims["UR-9"] = PEOPLE[500]  # belongs to no family
    store(client, fire, victims, "unidentified_remains")
    store(client, fire, relatives, "relative_of_missing_person")
    store_table(client, fire)
    family_ids = {}
    for n in range(3):
        body = family(f"Family {n}", {"fa": f"REF-{n}-FA", "sib": f"REF-{n}-SIB"})
        stored = ok(client.post("/api/dna/families", json=body, headers=fire.analyst), 201)
        family_ids[n] = stored["id"]
    listed = ok(client.get("/api/dna/families", headers=fire.analyst))
    assert [f["label"] for f in listed] == ["Family 0", "Family 1", "Family 2"]
    result = ok(client.post("/api/dna/dvi", json={"frequency_table": "NIST"}, headers=fire.analyst))
    victim_ids = {v["specimen_id"]: v["profile_id"] for v in result["victims"]}
    assert len(result["matrix"]) == 4 * 3
    found = {(c["victim_id"], c["family_id"]) for c in result["identifications"]}
    assert found == {(victim_ids[f"UR-{n}"], family_ids[n]) for n in range(3)}
    for cell in result["matrix"]:
        if cell["victim_id"] == victim_ids["UR-9"]:
            assert (cell["excluded"], cell["lr"]) == (True, 0.0)
            assert cell["excluding_loci"]
    (entry,) = audit(runtime, "dna.dvi.run")
    assert f'"result_sha256":"{content_hash(result)}"' in entry.details


def test_bad_families_get_a_clear_4xx(client: TestClient, fire: Lab) -> None:
    store(client, fire, {"OFF-1": PEOPLE[0]}, "offender")
    store(client, fire, {"REF-1": PEOPLE[1]}, "relative_of_missing_person")
    cases = [
        (family("F", {"fa": "OFF-1"}), "relative_of_missing_person"),
        (family("F", {"fa": "NOPE"}), "NOPE"),
        ({**family("F", {"fa": "REF-1"}), "missing": "zz"}, "not among the members"),
        (family("F", {}), "at least one member"),
    ]
    for body, message in cases:
        response = client.post("/api/dna/families", json=body, headers=fire.analyst)
        assert response.status_code == 422, body
        assert message in response.text
    looped = family("F", {"fa": "REF-1"})
    looped["members"][0] |= {"father": "mp", "mother": "mo"}
    response = client.post("/api/dna/families", json=looped, headers=fire.analyst)
    assert response.status_code == 422
    assert "own ancestor" in response.text
    no_remains = client.post("/api/dna/dvi", json={"frequency_table": "NIST"}, headers=fire.analyst)
    assert no_remains.status_code == 422
    assert "unidentified_remains" in no_remains.json()["detail"]
