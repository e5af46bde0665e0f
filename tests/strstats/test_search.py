"""Database search in memory: stringency, minimum loci, mixtures, LR ranking and breakdown."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pytest

from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.search import SearchProfile, Stringency, locus_kind, search
from signalfire.strstats.stats import genotype_match_probability, match_probability

TABLE = FrequencyTable(
    {
        "D3S1358": {"14": 0.1, "15": 0.25, "16": 0.25, "17": 0.2, "18": 0.2},
        "vWA": {"16": 0.2, "17": 0.3, "18": 0.2, "19": 0.3},
        "TH01": {"6": 0.2, "7": 0.2, "9": 0.1, "9.3": 0.5},
    }
)
Loci = dict[str, tuple[str, ...]]
PAIRS: dict[str, tuple[str, str]] = {
    "D3S1358": ("15", "16"),
    "vWA": ("17", "18"),
    "TH01": ("6", "9.3"),
    "AMEL": ("X", "Y"),
}
QUERY: Loci = dict(PAIRS)


def profile(
    key: int, loci: Mapping[str, tuple[str, ...]], *, mixture: bool = False
) -> SearchProfile:
    return SearchProfile(key, f"S{key}", loci, mixture=mixture)


def with_locus(
    locus: str, alleles: tuple[str, ...], **extra: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    return {**QUERY, locus: alleles, **extra}


# Candidates: how each differs from QUERY, and the stringencies it matches at.
UNTYPED_TH01 = {k: v for k, v in QUERY.items() if k != "TH01"}
CANDIDATES: list[tuple[str, dict[str, tuple[str, ...]], set[str]]] = [
    ("same", dict(QUERY), {"exact", "high", "moderate", "low"}),
    ("other sex", with_locus("AMEL", ("X", "X")), {"high", "moderate", "low"}),
    ("one locus untyped", UNTYPED_TH01, {"high", "moderate", "low"}),
    ("homozygote in query's pair", with_locus("vWA", ("17", "17")), {"moderate", "low"}),
    ("one allele shared", with_locus("vWA", ("17", "19")), {"low"}),
    ("no allele shared", with_locus("vWA", ("16", "19")), set()),
]


@pytest.mark.parametrize("stringency", ["exact", "high", "moderate", "low"])
def test_stringency_accepts_exactly_its_kinds_of_match(stringency: Stringency) -> None:
    db = [profile(n, loci) for n, (_why, loci, _at) in enumerate(CANDIDATES)]
    query = profile(0, QUERY)
    found = {h.profile.key for h in search(query, db, stringency=stringency, min_loci=2)}
    expected = {n for n, (_why, _loci, at) in enumerate(CANDIDATES) if stringency in at}
    assert found == expected


def test_min_loci_counts_shared_loci_without_amelogenin() -> None:
    db = [profile(1, dict(QUERY)), profile(2, {"D3S1358": ("15", "16"), "AMEL": ("X", "Y")})]
    query = profile(0, QUERY)
    assert [h.profile.key for h in search(query, db, min_loci=3)] == [1]
    assert [h.profile.key for h in search(query, db, min_loci=1)] == [1, 2]
    assert search(query, db, min_loci=4) == []


def test_a_single_source_reference_is_found_in_a_mixture_containing_it() -> None:
    mixture = profile(
        1,
        {"D3S1358": ("14", "15", "16"), "vWA": ("17", "18", "19"), "TH01": ("6", "7", "9.3")},
        mixture=True,
    )
    dropout = profile(
        2, {"D3S1358": ("15",), "vWA": ("17", "18"), "TH01": ("6", "9.3")}, mixture=True
    )
    elsewhere = profile(
        3,
        {"D3S1358": ("14", "17"), "vWA": ("17", "18", "19"), "TH01": ("6", "7", "9.3")},
        mixture=True,
    )
    hits = search(
        profile(0, QUERY), [mixture, dropout, elsewhere], stringency="moderate", min_loci=3
    )
    assert [h.profile.key for h in hits] == [1]
    assert [m.kind for m in hits[0].loci] == ["included", "included", "included"]
    assert search(profile(0, QUERY), [mixture], stringency="high", min_loci=3) == []


def test_a_mixture_query_finds_the_single_source_profiles_within_it() -> None:
    loci = {"D3S1358": ("14", "15", "16"), "vWA": ("17", "18"), "TH01": ("6", "9.3")}
    mixture = profile(0, loci, mixture=True)
    db = [profile(1, QUERY), profile(2, with_locus("vWA", ("16", "17")))]
    hits = search(mixture, db, stringency="moderate", min_loci=3)
    assert [h.profile.key for h in hits] == [1]
    assert [m.kind for m in hits[0].loci] == ["included", "identical", "identical"]


def test_the_lr_of_an_identical_single_source_profile_is_one_over_its_match_probability() -> None:
    (hit,) = search(profile(0, QUERY), [profile(1, dict(QUERY))], min_loci=3, table=TABLE)
    assert hit.lr == pytest.approx(1 / match_probability(PAIRS, TABLE))
    assert hit.lr == pytest.approx(1 / (2 * 0.25 * 0.25 * 2 * 0.3 * 0.2 * 2 * 0.2 * 0.5))
    assert hit.log10_lr == pytest.approx(math.log10(1 / match_probability(PAIRS, TABLE)))
    assert [(m.locus, m.query, m.candidate, m.kind) for m in hit.loci] == [
        ("D3S1358", ("15", "16"), ("15", "16"), "identical"),
        ("vWA", ("17", "18"), ("17", "18"), "identical"),
        ("TH01", ("6", "9.3"), ("6", "9.3"), "identical"),
    ]
    assert [m.lr for m in hit.loci] == pytest.approx([8.0, 1 / 0.12, 5.0])


def test_theta_uses_the_nrc_4_10_match_probability() -> None:
    (hit,) = search(
        profile(0, QUERY), [profile(1, dict(QUERY))], min_loci=3, table=TABLE, theta=0.01
    )
    expected = 1 / genotype_match_probability(0.25, 0.25, theta=0.01, formula="nrc4.10")
    assert hit.loci[0].lr == pytest.approx(expected)


def test_inclusion_and_sharing_use_the_probability_of_inclusion() -> None:
    query = profile(0, QUERY)
    mixture = profile(1, with_locus("D3S1358", ("14", "15", "16")), mixture=True)
    (hit,) = search(query, [mixture], stringency="moderate", min_loci=3, table=TABLE)
    assert hit.loci[0].lr == pytest.approx(1 / (0.1 + 0.25 + 0.25) ** 2)
    shares = profile(2, with_locus("vWA", ("17", "19")))
    (low,) = search(query, [shares], stringency="low", min_loci=3, table=TABLE)
    assert low.loci[1].kind == "shared"
    assert low.loci[1].lr == pytest.approx(1 / (1 - (1 - 0.3) ** 2))


def test_candidates_are_ranked_by_lr_and_loci_off_the_table_count_for_nothing() -> None:
    query = profile(0, {**QUERY, "FGA": ("21", "22")})
    strong = profile(1, {**QUERY, "FGA": ("21", "22")})
    weaker = profile(2, with_locus("vWA", ("17", "17"), FGA=("21", "22")))
    hits = search(query, [weaker, strong], stringency="moderate", min_loci=4, table=TABLE)
    assert [h.profile.key for h in hits] == [1, 2]
    assert hits[0].lr is not None
    assert hits[1].lr is not None
    assert hits[0].lr > hits[1].lr
    assert (hits[0].loci[-1].locus, hits[0].loci[-1].lr) == ("FGA", None)
    assert hits[0].lr == pytest.approx(1 / match_probability(PAIRS, TABLE))
    untabled = search(query, [weaker, strong], stringency="moderate", min_loci=4)
    assert [(h.profile.key, h.lr) for h in untabled] == [(1, None), (2, None)]
    assert len(search(query, [weaker, strong], stringency="moderate", min_loci=4, limit=1)) == 1


def test_an_allele_missing_from_a_table_without_sample_size_is_named() -> None:
    rare = {**QUERY, "TH01": ("6", "10")}
    with pytest.raises(ValueError, match="allele 10 is not in the frequency table"):
        search(profile(0, rare), [profile(1, rare)], min_loci=3, table=TABLE)
    with_minimum = FrequencyTable(TABLE.as_dict(), n=100)
    (hit,) = search(profile(0, rare), [profile(1, rare)], min_loci=3, table=with_minimum)
    assert hit.loci[2].lr == pytest.approx(1 / (2 * 0.2 * 0.025))


@pytest.mark.parametrize(
    ("query", "candidate", "query_mixture", "candidate_mixture", "kind"),
    [
        ("ab", "ab", False, False, "identical"),
        ("a", "ab", False, False, "included"),
        ("ab", "a", False, False, "included"),
        ("ab", "abc", False, True, "included"),
        ("ab", "a", False, True, "shared"),  # the reference must lie within the mixture
        ("abc", "ab", True, False, "included"),
        ("ab", "abc", True, False, "shared"),
        ("ab", "cd", False, False, None),
    ],
)
def test_locus_kind_table(
    query: str, candidate: str, query_mixture: bool, candidate_mixture: bool, kind: str | None
) -> None:
    found = locus_kind(
        frozenset(query),
        frozenset(candidate),
        query_mixture=query_mixture,
        candidate_mixture=candidate_mixture,
    )
    assert found == kind


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown stringency"):
        search(profile(0, QUERY), [], stringency="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_loci must be at least 1"):
        search(profile(0, QUERY), [], min_loci=0)
