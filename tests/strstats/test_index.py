"""The columnar index: its prefilter never loses a hit, and its kinship scan agrees with
:func:`kinship_index` profile by profile (random profiles and the NIST 1036 data)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.index import ProfileIndex, accepted_codes
from signalfire.strstats.kinship import kinship_index
from signalfire.strstats.search import STRINGENCIES, SearchProfile, locus_kind, search
from tests.strstats import nist

LOCI = ("CSF1PO", "D3S1358", "TH01", "TPOX", "vWA")
ALLELES = ("6", "7", "8", "9.3", "10", "11")

genotype = st.lists(st.sampled_from(ALLELES), min_size=1, max_size=2)
mixture_alleles = st.lists(st.sampled_from(ALLELES), min_size=1, max_size=4, unique=True)


@st.composite
def profiles(draw: st.DrawFn, key: int | None, *, mixture: bool | None = None) -> SearchProfile:
    is_mixture = draw(st.booleans()) if mixture is None else mixture
    loci = draw(st.lists(st.sampled_from(LOCI), min_size=1, unique=True))
    alleles = {
        locus: tuple(sorted(draw(mixture_alleles if is_mixture else genotype))) for locus in loci
    }
    return SearchProfile(key, f"S{key}", alleles, mixture=is_mixture)


@st.composite
def databases(draw: st.DrawFn) -> list[SearchProfile]:
    size = draw(st.integers(0, 30))
    return [draw(profiles(key)) for key in range(1, size + 1)]


@settings(max_examples=300, deadline=None)
@given(
    query=profiles(None),
    database=databases(),
    stringency=st.sampled_from(STRINGENCIES),
    min_loci=st.integers(1, 5),
)
def test_the_prefilter_keeps_every_hit(
    query: SearchProfile, database: list[SearchProfile], stringency: str, min_loci: int
) -> None:
    index = ProfileIndex.build(database)
    kept = set(index.prefilter(query, stringency=stringency, min_loci=min_loci).tolist())  # type: ignore[arg-type]
    hits = search(query, database, stringency=stringency, min_loci=min_loci)  # type: ignore[arg-type]
    assert {h.profile.key for h in hits} <= kept
    narrowed = [p for p in database if p.key in kept]
    assert search(query, narrowed, stringency=stringency, min_loci=min_loci) == hits  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    query=st.sets(st.sampled_from(ALLELES), min_size=1, max_size=4),
    mixture=st.booleans(),
    stringency=st.sampled_from(("high", "moderate", "low")),
)
def test_accepted_codes_follow_locus_kind(query: set[str], mixture: bool, stringency: str) -> None:
    vocab = list(ALLELES[:5])  # the query may hold an allele the index never saw
    accepted = accepted_codes(vocab, frozenset(query), mixture=mixture, stringency=stringency)  # type: ignore[arg-type]
    allowed = {"high": {"identical"}, "moderate": {"identical", "included"}}.get(
        stringency, {"identical", "included", "shared"}
    )
    code = 0
    for j, high in enumerate(vocab):
        for low in vocab[: j + 1]:
            code += 1
            kind = locus_kind(frozenset(query), frozenset({low, high}), query_mixture=mixture)
            assert accepted[code] == (kind in allowed), (low, high)
    assert accepted[0]


def test_an_index_refuses_profiles_without_keys() -> None:
    with pytest.raises(ValueError, match="no key"):
        ProfileIndex.build([SearchProfile(None, "q", {"TH01": ("6", "7")})])


@pytest.fixture(scope="module")
def nist_people() -> list[dict[str, tuple[str, str]]]:
    return [dict(person) for _, person in nist.read_csv().values()]


def test_kinship_scan_agrees_with_kinship_index_on_nist_data(
    nist_people: list[dict[str, tuple[str, str]]],
) -> None:
    table = FrequencyTable.from_genotypes(nist_people)
    query, other = nist_people[400], nist_people[401]
    child = {locus: (query[locus][0], other[locus][1]) for locus in query if locus in other}
    people = [*nist_people[:300], child]  # a parent-child pair the scan must find
    database = [SearchProfile(key, f"N{key}", p) for key, p in enumerate(people, 1)]
    index = ProfileIndex.build(database)
    for relationship in ("full-sib", "parent-child"):
        hits = index.kinship_scan(query, relationship, table, top=20)
        scored = [(kinship_index(query, p.loci, relationship, table), p.key) for p in database]  # type: ignore[arg-type]
        expected = sorted(
            (pair for pair in scored if pair[0] > 0), key=lambda pair: (-pair[0], pair[1])
        )[:20]
        assert expected
        assert [h.key for h in hits] == [key for _, key in expected]
        for hit, (lr, _) in zip(hits, expected, strict=True):
            assert hit.lr == pytest.approx(lr, rel=1e-9)


def test_a_sibling_tops_the_scan(nist_people: list[dict[str, tuple[str, str]]]) -> None:
    """Children of two NIST parents: each finds its sibling first among 500 profiles."""
    table = FrequencyTable.from_genotypes(nist_people)
    rng = random.Random(7)
    father, mother = nist_people[0], nist_people[1]

    def child() -> dict[str, tuple[str, str]]:
        return {
            locus: (rng.choice(father[locus]), rng.choice(mother[locus]))
            for locus in father
            if locus in mother
        }

    first, second = child(), child()
    database = [SearchProfile(key, f"N{key}", p) for key, p in enumerate(nist_people[2:500], 1)]
    database.append(SearchProfile(10_000, "sib", second))
    hits = ProfileIndex.build(database).kinship_scan(first, "full-sib", table, top=5)
    assert hits[0].key == 10_000
    assert math.log10(kinship_index(first, second, "full-sib", table)) == pytest.approx(
        hits[0].log10_lr
    )


def test_excluded_keys_never_come_back(nist_people: list[dict[str, tuple[str, str]]]) -> None:
    table = FrequencyTable.from_genotypes(nist_people)
    database = [SearchProfile(key, f"N{key}", p) for key, p in enumerate(nist_people[:50], 1)]
    hits = ProfileIndex.build(database).kinship_scan(
        nist_people[0], "full-sib", table, top=100, exclude=[1]
    )
    assert len(hits) == 49
    assert 1 not in {h.key for h in hits}
