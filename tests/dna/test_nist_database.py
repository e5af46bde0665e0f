"""The NIST 1036 U.S. population data as a profile database: store every profile through
the service (one transaction), then search in memory. Every profile finds itself at high
stringency and nothing else; with three loci dropped (and two alleles lost) it is still
found at moderate stringency, and only there."""

from __future__ import annotations

import pytest

from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.auth.permissions import Role
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime
from signalfire.dna import search_service, service
from signalfire.dna.schemas import ProfileImport
from signalfire.strstats import search as matching
from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.index import ProfileIndex
from signalfire.strstats.loci import CODIS_CORE
from signalfire.strstats.stats import match_probability
from tests.conftest import Clock, World
from tests.strstats import nist

WHY = Justification(purpose="database validation", case_number="VAL-2026-1")


@pytest.fixture
def stored(runtime: Runtime, world: World, frozen_clock: Clock) -> list[search_service.Stored]:
    """All 1,036 NIST profiles, imported from the shared ``genotypes.csv`` as it is."""
    agency = world.agency("LAB", kind="police")
    user = world.user("lab.dna", agency, [Role.DNA_ANALYST], password=None)
    actor = Actor(user.id, user.username, agency.id, frozenset({Role.DNA_ANALYST}), "token")
    data = ProfileImport(csv=nist.require(nist.CSV).read_text(), index="offender")
    parsed = service.parse_import(actor=actor, why=WHY, data=data)
    with transaction(runtime.sessions) as db:
        report = service.import_profiles(db=db, actor=actor, why=WHY, data=data, parsed=parsed)
    assert (report.accepted, report.rejected, report.ignored_columns) == (1036, [], ["pop"])
    with runtime.sessions() as db:
        keys = [p.id for p in report.profiles]
        return search_service.stored_profiles(db, agency_id=agency.id, keys=keys)


def dropped(profile: matching.SearchProfile) -> matching.SearchProfile:
    """The profile without its first three CODIS loci, and with one allele lost at each of
    the next two heterozygous loci (read as homozygotes, as a laboratory would)."""
    loci = {k: v for k, v in profile.loci.items() if k not in CODIS_CORE[:3]}
    lost = [k for k in CODIS_CORE[3:] if k in loci and loci[k][0] != loci[k][1]][:2]
    loci.update({locus: (loci[locus][0], loci[locus][0]) for locus in lost})
    return matching.SearchProfile(None, profile.specimen_id, loci)


def test_the_stored_profiles_are_the_published_genotypes(
    stored: list[search_service.Stored],
) -> None:
    published = nist.read_csv()
    assert len(stored) == 1036
    for entry in stored:
        assert entry.profile.loci == published[entry.profile.specimen_id][1]


def test_every_profile_finds_itself_at_high_stringency_and_nothing_else(
    stored: list[search_service.Stored],
) -> None:
    profiles = [entry.profile for entry in stored]
    for profile in profiles:
        hits = matching.search(profile, profiles, stringency="high")
        assert [hit.profile.key for hit in hits] == [profile.key], profile.specimen_id


def test_a_partial_profile_is_found_at_moderate_stringency(
    stored: list[search_service.Stored],
) -> None:
    profiles = [entry.profile for entry in stored]
    for profile in profiles:
        partial = dropped(profile)
        assert len(partial.compared) == len(profile.compared) - 3
        assert matching.search(partial, profiles, stringency="high") == []
        hits = matching.search(partial, profiles, stringency="moderate")
        assert [hit.profile.key for hit in hits] == [profile.key], profile.specimen_id


def test_the_index_prefilter_finds_the_same_hits(stored: list[search_service.Stored]) -> None:
    """Through the columnar index (what the service searches): itself at high stringency,
    the source of a partial profile at moderate stringency, and nothing else."""
    profiles = [entry.profile for entry in stored]
    by_key = {profile.key: profile for profile in profiles}
    index = ProfileIndex.build(profiles)
    for profile in profiles:
        for query, stringency in ((profile, "high"), (dropped(profile), "moderate")):
            keys = index.prefilter(query, stringency=stringency, min_loci=10)  # type: ignore[arg-type]
            narrowed = [by_key[int(k)] for k in keys]
            hits = matching.search(query, narrowed, stringency=stringency)  # type: ignore[arg-type]
            assert [hit.profile.key for hit in hits] == [profile.key], profile.specimen_id


def test_self_matches_carry_the_match_probability_lr(stored: list[search_service.Stored]) -> None:
    published = nist.read_csv()
    table = FrequencyTable.from_genotypes(nist.population(published, "Cauc"))
    profiles = [entry.profile for entry in stored]
    for profile in profiles[::100]:
        (hit,) = matching.search(profile, profiles, stringency="high", table=table)
        genotypes = published[profile.specimen_id][1]
        assert hit.lr == pytest.approx(1 / match_probability(genotypes, table))
        assert hit.shared_loci == len(profile.compared)
