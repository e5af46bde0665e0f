"""Each replica's search index follows the agency's profile set through the change log:
two runtimes on one database (SQLite and PostgreSQL), imports and expungements on one,
searches on both. Small changes are applied without a rebuild; an expunged or rolled-back
profile never stays in memory; an index too far behind, or behind a pruned log, rebuilds."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.auth.permissions import Role
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime
from signalfire.dna import index_service, search_service, service
from signalfire.dna.models import DnaProfileChange
from signalfire.dna.schemas import ProfileImport, SearchRequest
from signalfire.strstats.index import ProfileIndex
from tests.conftest import Clock, World, runtime_on
from tests.dna.support import wide_csv
from tests.strstats import nist

WHY = Justification(purpose="replica index test", case_number="REP-2026-1")
PEOPLE = {
    sample: person for sample, (_pop, person) in itertools.islice(nist.read_csv().items(), 12)
}
SAMPLES = list(PEOPLE)


@pytest.fixture
def second(database_url: str, road_cache: Path, tmp_path: Path) -> Iterator[Runtime]:
    """Another replica on the same database."""
    replica = runtime_on(database_url, tmp_path / "second", road_cache)
    yield replica
    replica.engine.dispose()


@pytest.fixture
def analyst(world: World, frozen_clock: Clock) -> Actor:
    agency = world.agency("LAB", kind="police")
    user = world.user("lab.dna", agency, [Role.DNA_ANALYST], password=None)
    return Actor(user.id, user.username, agency.id, frozenset({Role.DNA_ANALYST}), "token")


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Agencies whose index was built from every stored profile (a spy on ``_build``)."""
    calls: list[int] = []
    build = index_service._build

    def spy(db: Session, agency_id: int) -> ProfileIndex:
        calls.append(agency_id)
        return build(db, agency_id)

    monkeypatch.setattr(index_service, "_build", spy)
    return calls


def import_samples(runtime: Runtime, actor: Actor, samples: list[str]) -> dict[str, int]:
    data = ProfileImport(csv=wide_csv({s: PEOPLE[s] for s in samples}), index="offender")
    parsed = service.parse_import(actor=actor, why=WHY, data=data)
    with transaction(runtime.sessions) as db:
        report = service.import_profiles(db=db, actor=actor, why=WHY, data=data, parsed=parsed)
    return {p.specimen_id: p.id for p in report.profiles}


def expunge(runtime: Runtime, actor: Actor, profile_id: int) -> None:
    with transaction(runtime.sessions) as db:
        service.expunge(db=db, actor=actor, why=WHY, profile_id=profile_id)


def found(runtime: Runtime, actor: Actor, sample: str) -> list[int]:
    """Profile ids a high-stringency search for ``sample``'s genotypes finds."""
    loci = {locus: list(alleles) for locus, alleles in PEOPLE[sample].items()}
    request = SearchRequest.model_validate({"profile": {"loci": loci}})
    with transaction(runtime.sessions) as db:
        result = search_service.search(db=db, actor=actor, why=WHY, data=request)
    return [c.profile_id for c in result.candidates]


def indexed(runtime: Runtime, actor: Actor) -> set[int]:
    """Every key the replica's index holds in memory, after catching up."""
    assert actor.agency_id is not None
    with runtime.sessions() as db:
        index = index_service.profile_index(db, actor.agency_id)
    return set(index.keys.tolist()) | set(index.others.tolist())


def assert_as_rebuilt(runtime: Runtime, actor: Actor) -> None:
    """The replica's index is the one a rebuild from every stored profile would make."""
    assert actor.agency_id is not None
    with runtime.sessions() as db:
        index = index_service.profile_index(db, actor.agency_id)
        built = ProfileIndex.build(index_service._profiles(db, actor.agency_id, None))
    assert (index.loci, index.alleles) == (built.loci, built.alleles)
    assert np.array_equal(index.codes, built.codes)
    assert np.array_equal(index.keys, built.keys)
    assert np.array_equal(index.others, built.others)


def test_an_import_reaches_the_other_replica_without_a_rebuild(
    runtime: Runtime, second: Runtime, analyst: Actor, builds: list[int]
) -> None:
    ids = import_samples(runtime, analyst, SAMPLES[:6])
    assert found(runtime, analyst, SAMPLES[0]) == [ids[SAMPLES[0]]]
    assert found(second, analyst, SAMPLES[1]) == [ids[SAMPLES[1]]]
    assert builds == [analyst.agency_id] * 2  # one per replica
    builds.clear()

    new = import_samples(second, analyst, [SAMPLES[6]])
    assert found(runtime, analyst, SAMPLES[6]) == [new[SAMPLES[6]]]
    assert found(second, analyst, SAMPLES[6]) == [new[SAMPLES[6]]]
    assert builds == []
    assert_as_rebuilt(runtime, analyst)
    assert_as_rebuilt(second, analyst)


def test_an_expunged_profile_is_gone_from_both_replicas(
    runtime: Runtime, second: Runtime, analyst: Actor, builds: list[int]
) -> None:
    ids = import_samples(runtime, analyst, SAMPLES[:6])
    gone, kept = ids[SAMPLES[2]], ids[SAMPLES[3]]
    for replica in (runtime, second):
        assert found(replica, analyst, SAMPLES[2]) == [gone]
    builds.clear()

    expunge(second, analyst, gone)
    for replica in (runtime, second):
        assert found(replica, analyst, SAMPLES[2]) == []
        assert gone not in indexed(replica, analyst)
        assert found(replica, analyst, SAMPLES[3]) == [kept]
        assert_as_rebuilt(replica, analyst)
    assert builds == []

    again = import_samples(runtime, analyst, [SAMPLES[2]])  # the same specimen, stored anew
    for replica in (runtime, second):
        assert found(replica, analyst, SAMPLES[2]) == [again[SAMPLES[2]]]
        assert gone not in indexed(replica, analyst) or again[SAMPLES[2]] == gone
    assert builds == []


def test_a_rolled_back_import_never_stays_in_memory(
    runtime: Runtime, second: Runtime, analyst: Actor, builds: list[int]
) -> None:
    """A replica that indexed a change of its own transaction, then rolled it back, is
    on another history than the log: it rebuilds rather than build on it."""
    import_samples(runtime, analyst, SAMPLES[:6])
    assert analyst.agency_id is not None
    data = ProfileImport(csv=wide_csv({SAMPLES[8]: PEOPLE[SAMPLES[8]]}), index="offender")
    parsed = service.parse_import(actor=analyst, why=WHY, data=data)
    with second.sessions() as db:
        report = service.import_profiles(db=db, actor=analyst, why=WHY, data=data, parsed=parsed)
        phantom = report.profiles[0].id
        assert phantom in index_service.profile_index(db, analyst.agency_id).keys
        db.rollback()
    builds.clear()

    ids = import_samples(runtime, analyst, [SAMPLES[6]])  # the same change number
    more = import_samples(runtime, analyst, [SAMPLES[7]])  # and the next
    assert found(second, analyst, SAMPLES[8]) == []
    keys = indexed(second, analyst)
    assert {ids[SAMPLES[6]], more[SAMPLES[7]]} <= keys
    assert phantom not in keys or phantom == ids[SAMPLES[6]]
    assert_as_rebuilt(second, analyst)
    assert builds == [analyst.agency_id]


def test_a_replica_too_far_behind_rebuilds(
    runtime: Runtime,
    second: Runtime,
    analyst: Actor,
    builds: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(index_service, "MAX_BEHIND", 2)
    import_samples(runtime, analyst, SAMPLES[:6])
    for replica in (runtime, second):
        indexed(replica, analyst)
    builds.clear()

    import_samples(runtime, analyst, SAMPLES[6:8])  # two changes: caught up
    assert found(second, analyst, SAMPLES[7]) != []
    assert builds == []
    ids = import_samples(runtime, analyst, SAMPLES[8:11])  # three: rebuilt
    assert found(second, analyst, SAMPLES[10]) == [ids[SAMPLES[10]]]
    assert builds == [analyst.agency_id]
    assert_as_rebuilt(second, analyst)


def test_a_replica_behind_the_pruned_log_rebuilds(
    runtime: Runtime,
    second: Runtime,
    analyst: Actor,
    builds: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(index_service, "KEPT_CHANGES", 2)
    import_samples(runtime, analyst, SAMPLES[:6])
    indexed(second, analyst)  # at change 6
    builds.clear()

    import_samples(runtime, analyst, [SAMPLES[6]])
    ids = import_samples(runtime, analyst, [SAMPLES[7]])  # change 6 is pruned now
    with runtime.sessions() as db:
        kept = db.scalars(select(DnaProfileChange.seq).order_by(DnaProfileChange.seq)).all()
    assert kept == [7, 8]
    assert found(second, analyst, SAMPLES[7]) == [ids[SAMPLES[7]]]
    assert builds == [analyst.agency_id]
    assert_as_rebuilt(second, analyst)
    builds.clear()
    expunge(runtime, analyst, ids[SAMPLES[7]])  # change 9; 8 is still there
    assert found(second, analyst, SAMPLES[7]) == []
    assert builds == []


def test_changes_are_logged_in_the_transaction_of_the_change(
    runtime: Runtime, analyst: Actor
) -> None:
    ids = import_samples(runtime, analyst, SAMPLES[:3])
    expunge(runtime, analyst, ids[SAMPLES[1]])
    with runtime.sessions() as db:
        rows = db.execute(
            select(
                DnaProfileChange.seq,
                DnaProfileChange.profile_id,
                DnaProfileChange.change,
                DnaProfileChange.version,
            ).order_by(DnaProfileChange.seq)
        ).all()
        assert analyst.agency_id is not None
        settings = index_service.agency_settings(db, analyst.agency_id)
    assert [(r.seq, r.profile_id, r.change) for r in rows] == [
        (1, ids[SAMPLES[0]], "added"),
        (2, ids[SAMPLES[1]], "added"),
        (3, ids[SAMPLES[2]], "added"),
        (4, ids[SAMPLES[1]], "removed"),
    ]
    assert rows[0].version == rows[2].version != rows[3].version
    assert (settings.profile_change_seq, settings.profile_set_version) == (4, rows[3].version)
