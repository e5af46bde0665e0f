"""The DNA profile database over HTTP: import, read, search, expunge, frequency tables,
with the safeguards: DNA analysts only, purpose and case required, agency scoping, audit."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from signalfire.core.audit.chain import content_hash
from signalfire.core.audit.models import AuditEntry
from signalfire.core.runtime import Runtime
from signalfire.dna import service
from signalfire.dna.models import DnaProfile
from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.records import profile_digest
from signalfire.strstats.stats import match_probability
from tests.conftest import Clock, World
from tests.dna.support import CASE, Lab, frequency_csv, lab, wide_csv
from tests.strstats import nist
from tests.units.support import ok

PEOPLE = dict(itertools.islice(nist.read_csv().items(), 6))
PERSONS = {sample: person for sample, (_pop, person) in PEOPLE.items()}
SAMPLES = list(PERSONS)
TABLE = FrequencyTable.from_genotypes(nist.population(nist.read_csv(), "AA"))


@pytest.fixture
def fire(world: World, frozen_clock: Clock) -> Lab:
    return lab(world, "FIRE")


def import_people(client: TestClient, who: Lab, **options: Any) -> dict[str, Any]:
    body = {"csv": wide_csv(PERSONS), "index": "offender", **options}
    result: dict[str, Any] = ok(
        client.post("/api/dna/profiles/import", json=body, headers=who.analyst), 201
    )
    return result


def store_table(client: TestClient, who: Lab, name: str = "NIST-AA") -> None:
    ok(
        client.post(
            "/api/dna/frequencies",
            content=frequency_csv(TABLE),
            params={"name": name, "population": "U.S. African American"},
            headers={**who.analyst, "content-type": "text/csv"},
        ),
        201,
    )


def search(client: TestClient, who: Lab, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = ok(client.post("/api/dna/search", json=body, headers=who.analyst))
    return result


def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    with runtime.sessions() as db:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list(db.scalars(query))


def test_import_read_search_and_expunge(client: TestClient, fire: Lab) -> None:
    report = import_people(client, fire)
    assert (report["layout"], report["accepted"], report["rejected"]) == ("wide", 6, [])
    ids = {p["specimen_id"]: p["id"] for p in report["profiles"]}
    first = SAMPLES[0]
    profile = ok(client.get(f"/api/dna/profiles/{ids[first]}", headers=fire.analyst))
    assert (profile["specimen_id"], profile["case_number"], profile["index"]) == (
        first,
        CASE,
        "offender",
    )
    assert profile["loci"] == {k: list(v) for k, v in PERSONS[first].items()}
    assert profile["locus_count"] == 29
    store_table(client, fire)
    loci = {k: list(v) for k, v in PERSONS[first].items()}
    found = search(client, fire, profile={"loci": loci}, frequency_table="NIST-AA")
    assert (found["searched"], found["query_loci"]) == (6, 29)
    (hit,) = found["candidates"]
    assert (hit["profile_id"], hit["shared_loci"]) == (ids[first], 29)
    assert hit["lr"] == pytest.approx(1 / match_probability(PERSONS[first], TABLE))
    d3 = next(m for m in hit["loci"] if m["locus"] == "D3S1358")
    assert d3["query"] == d3["candidate"] == list(PERSONS[first]["D3S1358"])
    assert d3["match"] == "identical"
    by_id = search(client, fire, profile_id=ids[first])
    assert (by_id["searched"], by_id["candidates"]) == (5, [])  # not itself
    gone = client.delete(f"/api/dna/profiles/{ids[first]}", headers=fire.analyst)
    assert gone.status_code == 204
    missing = client.get(f"/api/dna/profiles/{ids[first]}", headers=fire.analyst)
    assert missing.status_code == 404
    assert search(client, fire, profile={"loci": loci})["candidates"] == []


def test_text_csv_in_the_long_layout_reports_every_rejected_line(
    client: TestClient, fire: Lab
) -> None:
    import_people(client, fire)
    lines = ["Sample,Marker,Allele 1,Allele 2"]
    for sample in (SAMPLES[0], "NEW-1"):
        lines += [f"{sample},{locus},{a},{b}" for locus, (a, b) in PERSONS[SAMPLES[1]].items()]
    lines += ["NEW-2,D3S1358,15,16", "NEW-2,D99S1,10,11"]
    response = client.post(
        "/api/dna/profiles/import",
        content="\n".join(lines) + "\n",
        params={"index": "forensic_unknown"},
        headers={**fire.analyst, "content-type": "text/csv; charset=utf-8"},
    )
    report = ok(response, 201)
    assert (report["layout"], report["accepted"]) == ("long", 1)
    assert report["profiles"][0]["specimen_id"] == "NEW-1"
    rejected = {(r["line"], r["specimen_id"]): r["reason"] for r in report["rejected"]}
    assert rejected[(2, SAMPLES[0])].startswith("specimen id already stored (profile ")
    assert rejected[(60, "NEW-2")] == "not imported: line 61 of this sample was rejected"
    assert rejected[(61, "NEW-2")] == "unknown locus 'D99S1'"


@pytest.mark.parametrize(
    ("request_args", "status", "needle"),
    [
        (
            {"json": {"csv": "Sample,Surname,TH01,TH01\nS1,Doe,6,7\n", "index": "offender"}},
            422,
            "'Surname' would hold a person's name",
        ),
        ({"json": {"csv": "Sample,TH01,TH01\nS1,6,7\n", "index": "suspect"}}, 422, "body.index"),
        ({"json": {"csv": "x", "name": "Jane Doe"}}, 422, "body.name"),
        ({"content": "Sample,TH01\n", "params": {"max_alleles": "99"}}, 422, "query.max_alleles"),
        ({"content": "a\u00e9".encode("latin-1")}, 422, "not UTF-8"),
        ({"content": "{", "headers": {"content-type": "application/json"}}, 400, "not valid"),
        ({"content": "x", "headers": {"content-type": "application/xml"}}, 415, "text/csv"),
    ],
    ids=["name-column", "bad-index", "name-field", "too-many-alleles", "latin-1", "json", "xml"],
)
def test_bad_imports_get_a_clear_4xx(
    client: TestClient, fire: Lab, request_args: dict[str, Any], status: int, needle: str
) -> None:
    args = dict(request_args)  # the table is shared by both databases' runs
    media = {"content-type": "text/csv"} if "content" in args else {}
    headers = {**fire.analyst, **media, **args.pop("headers", {})}
    response = client.post("/api/dna/profiles/import", headers=headers, **args)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert needle in response.text


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({}, 422, "give exactly one of profile_id"),
        ({"profile": {"loci": {"vWA": ["17", "X"]}}}, 422, "locus vWA: allele 'X'"),
        ({"profile": {"loci": {"D99S1": ["17"]}}}, 422, "unknown locus 'D99S1'"),
        ({"profile": {"loci": {"vWA": ["17"]}, "name": "x"}}, 422, "body.profile.name"),
        ({"profile": {"loci": {"vWA": ["17"]}}}, 422, "1 comparable loci but min_loci is 10"),
        ({"profile_id": 999}, 404, "no DNA profile with id 999"),
        ({"profile_id": 1, "stringency": "fuzzy"}, 422, "body.stringency"),
    ],
)
def test_bad_searches_get_a_clear_4xx(
    client: TestClient, fire: Lab, body: dict[str, Any], status: int, needle: str
) -> None:
    response = client.post("/api/dna/search", json=body, headers=fire.analyst)
    assert response.status_code == status, response.text
    assert needle in response.text


def test_an_unknown_frequency_table_is_named(client: TestClient, fire: Lab) -> None:
    ids = [p["id"] for p in import_people(client, fire)["profiles"]]
    body = {"profile_id": ids[0], "frequency_table": "nope"}
    response = client.post("/api/dna/search", json=body, headers=fire.analyst)
    assert response.status_code == 404
    assert "no frequency table named 'nope'" in response.json()["detail"]


@pytest.mark.parametrize("missing", ["X-Signalfire-Purpose", "X-Signalfire-Case"])
def test_purpose_and_case_are_required(client: TestClient, fire: Lab, missing: str) -> None:
    ids = [p["id"] for p in import_people(client, fire)["profiles"]]
    headers = {k: v for k, v in fire.analyst.items() if k != missing}
    calls = [
        client.get(f"/api/dna/profiles/{ids[0]}", headers=headers),
        client.delete(f"/api/dna/profiles/{ids[0]}", headers=headers),
        client.post("/api/dna/search", json={"profile_id": ids[0]}, headers=headers),
        client.post("/api/dna/profiles/import", json={"csv": wide_csv(PERSONS)}, headers=headers),
    ]
    for response in calls:
        assert response.status_code == 422, response.text
        assert response.json()["field"] == missing


def test_profiles_are_scoped_to_their_agency(client: TestClient, fire: Lab, world: World) -> None:
    ids = [p["id"] for p in import_people(client, fire)["profiles"]]
    police = lab(world, "POLICE")
    assert client.get(f"/api/dna/profiles/{ids[0]}", headers=police.analyst).status_code == 404
    assert client.delete(f"/api/dna/profiles/{ids[0]}", headers=police.analyst).status_code == 404
    response = client.post("/api/dna/search", json={"profile_id": ids[0]}, headers=police.analyst)
    assert response.status_code == 404
    loci = {k: list(v) for k, v in PERSONS[SAMPLES[0]].items()}
    assert search(client, police, profile={"loci": loci})["searched"] == 0
    assert import_people(client, police)["accepted"] == 6  # same specimen ids, other agency
    assert client.get(f"/api/dna/profiles/{ids[0]}", headers=fire.dispatcher).status_code == 403


def test_every_use_is_audited_with_its_parameters_and_result_hash(
    client: TestClient, fire: Lab, runtime: Runtime
) -> None:
    report = import_people(client, fire)
    profile_id = report["profiles"][0]["id"]
    (imported,) = audit(runtime, "dna.profiles.imported")
    details = imported.details
    assert (imported.purpose, imported.case_number) == (fire.analyst["X-Signalfire-Purpose"], CASE)
    assert f'"result_sha256":"{content_hash(report)}"' in details
    assert '"accepted":6' in details
    assert '"index":"offender"' in details
    profile = ok(client.get(f"/api/dna/profiles/{profile_id}", headers=fire.analyst))
    (read,) = audit(runtime, "dna.profile.read")
    assert (read.record_type, read.record_id) == ("dna_profile", str(profile_id))
    assert f'"result_sha256":"{content_hash(profile)}"' in read.details
    result = search(client, fire, profile={"loci": profile["loci"]}, stringency="moderate")
    (searched,) = audit(runtime, "dna.searched")
    assert f'"result_sha256":"{content_hash(result)}"' in searched.details
    assert '"stringency":"moderate"' in searched.details
    assert f'"candidate_ids":[{profile_id}]' in searched.details
    assert client.delete(f"/api/dna/profiles/{profile_id}", headers=fire.analyst).status_code == 204
    (expunged,) = audit(runtime, "dna.profile.expunged")
    digest = profile_digest(profile["specimen_id"], profile["loci"], mixture=False)
    assert f'"profile_sha256":"{digest}"' in expunged.details
    assert f'"specimen_id":"{profile["specimen_id"]}"' in expunged.details
    for entry in (imported, read, searched, expunged):
        assert "D3S1358" not in entry.details  # no alleles in the audit trail
    with runtime.sessions() as db:
        assert db.get(DnaProfile, profile_id) is None


def test_an_import_stores_all_accepted_rows_or_none(
    client: TestClient, fire: Lab, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_people(client, fire)
    # Another import stored a specimen id between our check and our insert.
    monkeypatch.setattr(service, "_not_stored", lambda _db, _agency, parsed: (parsed, []))
    people = {"NEW-1": PERSONS[SAMPLES[0]], SAMPLES[1]: PERSONS[SAMPLES[1]]}
    body = {"csv": wide_csv(people), "index": "offender"}
    response = client.post("/api/dna/profiles/import", json=body, headers=fire.analyst)
    assert response.status_code == 409
    assert "nothing was imported" in response.json()["detail"]
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(DnaProfile)) == 6
    assert len(audit(runtime, "dna.profiles.imported")) == 1


def test_frequency_tables_by_name(client: TestClient, fire: Lab) -> None:
    store_table(client, fire)
    tables = ok(client.get("/api/dna/frequencies", headers=fire.analyst))
    assert [(t["name"], t["population"], len(t["loci"])) for t in tables] == [
        ("NIST-AA", "U.S. African American", 29)
    ]
    assert tables[0]["sample_sizes"]["D3S1358"] == 342
    again = client.post(
        "/api/dna/frequencies",
        json={"name": "NIST-AA", "population": "x", "csv": frequency_csv(TABLE)},
        headers=fire.analyst,
    )
    assert again.status_code == 409
    bad = client.post(
        "/api/dna/frequencies",
        json={"name": "bad", "population": "x", "csv": "Allele,TH01\n9.3,0.3x\n"},
        headers=fire.analyst,
    )
    assert bad.status_code == 422
    assert bad.json()["detail"] == "frequency CSV: row 2, column 'TH01': '0.3x' is not a number"


def test_the_match_report_shows_candidates_loci_and_formulas(
    client: TestClient, fire: Lab, runtime: Runtime
) -> None:
    import_people(client, fire)
    store_table(client, fire)
    loci = {k: list(v) for k, v in PERSONS[SAMPLES[1]].items()}
    body = {"profile": {"loci": loci}, "frequency_table": "NIST-AA"}
    response = client.post("/api/dna/search/report", json=body, headers=fire.analyst)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f"Candidate 1: specimen {SAMPLES[1]}" in page
    assert "Candidate 2" not in page
    assert f"case {CASE}" in page
    het = next(k for k, (a, b) in PERSONS[SAMPLES[1]].items() if a != b and k in TABLE)
    row = page[page.index(f"<td>{het}</td>") :].split("</tr>")[0]
    assert "2pq" in row
    assert "NRC II" in page  # the formulas are explained
    (searched,) = audit(runtime, "dna.searched")  # a report is an audited search
    assert searched.case_number == CASE
    digest = page.split("Result SHA-256</dt><dd><code>")[1].split("<")[0]
    assert f'"result_sha256":"{digest}"' in searched.details
    refused = client.post("/api/dna/search/report", json=body, headers=fire.dispatcher)
    assert refused.status_code == 403
