"""An index changed in place of a rebuild: ``ProfileIndex.changed`` gives the index that
``ProfileIndex.build`` makes of the resulting profiles, so every query answers the same."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.index import ProfileIndex
from signalfire.strstats.search import STRINGENCIES, SearchProfile
from tests.strstats.test_index import ALLELES, LOCI, profiles

TABLE = FrequencyTable({locus: {a: 1 / len(ALLELES) for a in ALLELES} for locus in LOCI}, n=100)


def rebuilt(database: dict[int, SearchProfile]) -> ProfileIndex:
    return ProfileIndex.build(database[key] for key in sorted(database))


def assert_same(changed: ProfileIndex, built: ProfileIndex) -> None:
    assert changed.loci == built.loci
    assert changed.alleles == built.alleles
    assert np.array_equal(changed.codes, built.codes)
    assert changed.codes.dtype == built.codes.dtype == np.uint16
    assert np.array_equal(changed.keys, built.keys)
    assert np.array_equal(changed.others, built.others)
    for row in range(len(changed.loci)):  # carried over, not counted again: still exact
        counted = np.bincount(changed.codes[row], minlength=changed.code_count(row))
        assert np.array_equal(changed._column_counts(row), counted)


def assert_same_answers(
    changed: ProfileIndex, built: ProfileIndex, queries: list[SearchProfile]
) -> None:
    for query in queries:
        for stringency in STRINGENCIES:
            for min_loci in (0, 1, 3):
                got = changed.prefilter(query, stringency=stringency, min_loci=min_loci)
                want = built.prefilter(query, stringency=stringency, min_loci=min_loci)
                assert got.tolist() == want.tolist(), (query, stringency, min_loci)
        genotypes = {lo: (a[0], a[-1]) for lo, a in query.loci.items()}
        for relationship in ("full-sib", "parent-child"):
            got_hits = changed.kinship_scan(genotypes, relationship, TABLE, top=5, exclude=[2])
            want_hits = built.kinship_scan(genotypes, relationship, TABLE, top=5, exclude=[2])
            assert got_hits == want_hits


@st.composite
def histories(
    draw: st.DrawFn,
) -> tuple[dict[int, SearchProfile], list[tuple[list[SearchProfile], list[int]]]]:
    """A database and a few changes to it: removals (some of keys never stored), and
    additions of new keys or of keys removed in the same change (a replaced profile)."""
    size = draw(st.integers(0, 25))
    database = {key: draw(profiles(key)) for key in range(1, size + 1)}
    present, next_key = set(database), size + 1
    changes = []
    for _ in range(draw(st.integers(1, 4))):
        removed = draw(st.lists(st.sampled_from(sorted(present | {999})), unique=True))
        replaced = [k for k in removed if k in present and draw(st.booleans())]
        fresh = list(range(next_key, next_key + draw(st.integers(0, 4))))
        next_key += len(fresh)
        added = [draw(profiles(key)) for key in draw(st.permutations(fresh + replaced))]
        present = (present - set(removed)) | {p.key for p in added if p.key is not None}
        changes.append((added, removed))
    return database, changes


@settings(max_examples=200, deadline=None)
@given(history=histories(), queries=st.lists(profiles(None), min_size=1, max_size=3))
def test_changes_give_the_index_a_rebuild_gives(
    history: tuple[dict[int, SearchProfile], list[tuple[list[SearchProfile], list[int]]]],
    queries: list[SearchProfile],
) -> None:
    database, changes = history
    index = rebuilt(database)
    for added, removed in changes:
        codes, keys, others = index.codes.copy(), index.keys.copy(), index.others.copy()
        changed = index.changed(added=added, removed=removed)
        for key in removed:
            database.pop(key, None)
        database.update({p.key: p for p in added if p.key is not None})
        assert_same(changed, rebuilt(database))
        assert_same_answers(changed, rebuilt(database), queries)
        # the index it was made from is left as it was
        assert np.array_equal(index.codes, codes)
        assert np.array_equal(index.keys, keys)
        assert np.array_equal(index.others, others)
        index = changed


def test_many_random_changes_keep_the_answers_of_a_rebuild() -> None:
    """Seeded: 400 single-source and mixed profiles, then 30 rounds of a few additions
    (new alleles and a new locus among them) and removals."""
    rng = random.Random(17)
    alleles = [*ALLELES, "12", "13.3", "14"]
    loci = [*LOCI, "D5S818"]

    def person(key: int | None) -> SearchProfile:
        typed = rng.sample(loci, rng.randint(1, len(loci)))
        mixture = rng.random() < 0.1
        genotype = {
            lo: tuple(sorted(rng.sample(alleles, rng.randint(1, 3 if mixture else 2))))
            for lo in typed
        }
        return SearchProfile(key, f"S{key}", genotype, mixture=mixture)

    database = {key: person(key) for key in range(1, 401)}
    index = rebuilt(database)
    next_key = 401
    for _ in range(30):
        removed = rng.sample(sorted(database), rng.randint(0, 8))
        added = [person(key) for key in range(next_key, next_key + rng.randint(0, 8))]
        next_key += len(added)
        index = index.changed(added=added, removed=removed)
        for key in removed:
            del database[key]
        database.update({p.key: p for p in added if p.key is not None})
        built = rebuilt(database)
        assert_same(index, built)
        assert_same_answers(index, built, [person(None) for _ in range(3)])


def test_an_added_key_that_stays_indexed_is_refused() -> None:
    a = SearchProfile(1, "a", {"TH01": ("6", "7")})
    m = SearchProfile(2, "m", {"TH01": ("6", "7", "8")}, mixture=True)
    index = ProfileIndex.build([a, m])
    for again in (a, m):
        with pytest.raises(ValueError, match="indexed already"):
            index.changed(added=[again])
    with pytest.raises(ValueError, match="indexed already"):
        index.changed(added=[SearchProfile(3, "b", {}), SearchProfile(3, "c", {})])
    replaced = index.changed(added=[SearchProfile(1, "a2", {"TH01": ("8", "8")})], removed=[1])
    assert (replaced.alleles, replaced.keys.tolist()) == ({"TH01": ["8"]}, [1])


def test_removing_everything_leaves_an_empty_index() -> None:
    index = ProfileIndex.build([SearchProfile(1, "a", {"TH01": ("6", "7")})])
    empty = index.changed(removed=[1])
    assert (len(empty), empty.loci, empty.codes.shape) == (0, (), (0, 0))
    query = SearchProfile(None, "q", {"TH01": ("6", "7")})
    assert empty.prefilter(query, stringency="low", min_loci=1).tolist() == []
    assert empty.kinship_scan({"TH01": ("6", "7")}, "full-sib", TABLE) == []
