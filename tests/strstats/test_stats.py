"""Match probability and kinship index against published formulas and values.

Sources cited beside the cases:

- NRC II: National Research Council (1996), *The Evaluation of Forensic DNA Evidence*,
  recommendation 4.1 and equations 4.10a/b.
- Brenner-sib: C. H. Brenner, "Likelihood ratios for sibship and half-sibship",
  dna-view.com/sibfmla.htm (full : half : unrelated likelihood proportions).
- Presciuttini 2002: Presciuttini et al., BMC Genetics 3:23 (2002),
  doi:10.1186/1471-2156-3-23, Table 1 (joint genotype probabilities of relative pairs).
- GHEP 2024: Vigeland & Egeland, ISFG-GHEP Online School 2024, kinship exercise III-2 and its
  published solution (pedsuite ``kinshipLR`` output 25).
- Thompson 1975 / Lange, *Applied Probability*, Table 5.1: IBD coefficients of relatives.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.kinship import IBD_COEFFICIENTS, ibd_coefficients
from signalfire.strstats.stats import (
    genotype_match_probability,
    kinship_index,
    match_probability,
    paternity_index,
)
from tests.strstats import nist, reference
from tests.strstats.cases import FREQS, F, LocusCase, P, Q, R, S, at, locus_case, p, q, r

# --- random match probability -----------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "theta", "homozygote", "heterozygote"),
    [
        ("product", 0.0, p * p, 2 * p * q),
        ("product", 0.03, p * p, 2 * p * q),
        # NRC II recommendation 4.1: p^2 + p(1-p)theta for homozygotes, 2pq otherwise.
        ("nrc4.1", 0.01, p * p + p * (1 - p) * 0.01, 2 * p * q),
        # NRC II eq. 4.10a (homozygote) and 4.10b (heterozygote).
        (
            "nrc4.10",
            0.03,
            (0.06 + 0.97 * p) * (0.09 + 0.97 * p) / (1.03 * 1.06),
            2 * (0.03 + 0.97 * p) * (0.03 + 0.97 * q) / (1.03 * 1.06),
        ),
    ],
)
def test_match_probability_formulas(
    formula: str, theta: float, homozygote: float, heterozygote: float
) -> None:
    hom = match_probability(at((P, P)), FREQS, theta=theta, formula=formula)
    het = match_probability(at((Q, P)), FREQS, theta=theta, formula=formula)
    assert hom == pytest.approx(homozygote, rel=1e-12)
    assert het == pytest.approx(heterozygote, rel=1e-12)


def test_match_probability_multiplies_over_loci_in_both() -> None:
    freqs = {"TH01": {"6": 0.2, "9.3": 0.3}, "TPOX": {"8": 0.5}, "vWA": {"17": 0.25}}
    profile = {"THO1": ("9.3", "6"), "TPOX": ("8", "8"), "AMEL": ("X", "Y"), "FGA": ("20", "21")}
    assert match_probability(profile, freqs) == pytest.approx(2 * 0.2 * 0.3 * 0.25)
    assert match_probability({"AMEL": ("X", "X")}, freqs) == 1.0


def test_match_probability_applies_the_table_minimum() -> None:
    table = FrequencyTable({"TPOX": {"8": 0.5}}, n=100)
    assert match_probability({"TPOX": ("8", "13")}, table) == pytest.approx(2 * 0.5 * 0.025)
    with pytest.raises(ValueError, match="locus TPOX: allele 13 is not in the frequency table"):
        match_probability({"TPOX": ("8", "13")}, {"TPOX": {"8": 0.5}})
    with pytest.raises(ValueError, match="allele 13 has frequency 0"):
        match_probability({"TPOX": ("8", "13")}, {"TPOX": {"8": 0.5, "13": 0.0}})


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"formula": "nrc4.2"}, ValueError, "unknown formula 'nrc4.2'"),
        ({"theta": 1.0}, ValueError, r"theta must be in \[0, 1\)"),
        ({"theta": -0.01}, ValueError, "theta must be"),
        ({"theta": "0.01"}, TypeError, "theta must be a number"),
    ],
)
def test_match_probability_checks_arguments(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        match_probability(at((P, Q)), FREQS, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"D99S1": ("10", "11")}, "profile: unknown locus 'D99S1'"),
        ({"TH01": ("10", "11", "12")}, r"profile, locus TH01: expected two alleles"),
        ({"TH01": "1011"}, "expected two alleles"),
        ({"TH01": ("10", "ten")}, r"profile, locus TH01: allele 'ten'"),
        ({"TH01": ("6", "7"), "THO1": ("6", "7")}, "locus 'THO1' appears twice"),
    ],
)
def test_bad_profiles_name_the_locus(profile: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        match_probability(profile, {"TH01": {"6": 0.5}})  # type: ignore[arg-type]


@given(locus_case(), st.floats(0.0, 0.5, exclude_max=True), st.sampled_from(["nrc4.1", "nrc4.10"]))
def test_match_probability_is_a_probability(case: LocusCase, theta: float, formula: str) -> None:
    freqs, a, _ = case
    value = match_probability({"CSF1PO": a}, {"CSF1PO": freqs}, theta=theta, formula=formula)
    assert 0.0 < value <= 1.0


@given(locus_case(), st.sampled_from(["nrc4.1", "nrc4.10"]))
def test_theta_zero_reduces_to_the_product_rule(case: LocusCase, formula: str) -> None:
    freqs, a, _ = case
    profile, table = {"CSF1PO": a}, {"CSF1PO": freqs}
    assert match_probability(profile, table, formula=formula) == pytest.approx(
        match_probability(profile, table), rel=1e-12
    )


def test_genotype_match_probability_rejects_unknown_formula() -> None:
    with pytest.raises(ValueError, match="unknown formula"):
        genotype_match_probability(0.1, None, formula="ceiling")


# --- kinship index ----------------------------------------------------------------------


def ki(a: tuple[str, str], b: tuple[str, str], relationship: str, theta: float = 0.0) -> float:
    return kinship_index(at(a), at(b), relationship, FREQS, theta=theta)


def test_full_siblings_homozygous_for_a_common_allele() -> None:
    # Brenner-sib, "share two alleles doubly (both pp)": F/U = (1+p)^2 / (2p)^2.
    # With p = 0.8: 1/4 + (1/2)/0.8 + (1/4)/0.64 = 3.24 / 2.56 = 1.265625.
    freqs = {"TPOX": {"8": 0.8, "11": 0.2}}
    value = kinship_index({"TPOX": ("8", "8")}, {"TPOX": ("8", "8")}, "full-sib", freqs)
    assert value == pytest.approx(1.265625, rel=1e-15)


@pytest.mark.parametrize(
    ("a", "b", "full", "half"),
    [
        # Brenner-sib table rows: full-sib F/U and half-sib H/U.
        ((P, Q), (P, Q), (1 + p + q + 2 * p * q) / (8 * p * q), (p + q + 4 * p * q) / (8 * p * q)),
        ((P, P), (P, P), (1 + p) ** 2 / (2 * p) ** 2, 2 * p * (1 + p) / (2 * p) ** 2),
        ((P, P), (P, Q), (1 + p) / (4 * p), (1 + 2 * p) / (4 * p)),
        ((P, Q), (P, R), (1 + 2 * p) / (8 * p), (1 + 4 * p) / (8 * p)),
        ((P, Q), (R, S), 1 / 4, 2 / 4),
        ((P, P), (R, R), 1 / 4, 2 / 4),
    ],
)
def test_sibship_indices_match_brenner(
    a: tuple[str, str], b: tuple[str, str], full: float, half: float
) -> None:
    assert ki(a, b, "full-sib") == pytest.approx(full, rel=1e-12)
    assert ki(a, b, "half-sib") == pytest.approx(half, rel=1e-12)


# Presciuttini 2002, Table 1: joint probabilities for parent-child (PC), full sibs (FS),
# second-degree relatives (2nd: half-sibs, grandparent-grandchild, avuncular) and
# non-relatives (NR), both orderings of the pair counted. LR = relative / NR.
s = F[S]
PRESCIUTTINI = [
    ((P, P), (P, P), p**3, p**2 * (1 + p) ** 2 / 4, p**3 * (1 + p) / 2, p**4),
    ((P, P), (P, Q), 2 * p**2 * q, p**2 * q * (1 + p), p**2 * q * (1 + 2 * p), 4 * p**3 * q),
    ((P, P), (Q, Q), 0.0, p**2 * q**2 / 2, p**2 * q**2, 2 * p**2 * q**2),
    (
        (P, Q),
        (P, Q),
        p * q * (p + q),
        p * q * (2 * p * q + p + q + 1) / 2,
        p * q * (4 * p * q + p + q) / 2,
        4 * p**2 * q**2,
    ),
    ((P, P), (Q, R), 0.0, p**2 * q * r, 2 * p**2 * q * r, 4 * p**2 * q * r),
    (
        (P, Q),
        (P, R),
        2 * p * q * r,
        p * q * r * (2 * p + 1),
        p * q * r * (4 * p + 1),
        8 * p**2 * q * r,
    ),
    ((P, Q), (R, S), 0.0, 2 * p * q * r * s, 4 * p * q * r * s, 8 * p * q * r * s),
]


@pytest.mark.parametrize(("a", "b", "pc", "fs", "second", "nr"), PRESCIUTTINI)
def test_pairwise_relationships_match_presciuttini(
    a: tuple[str, str],
    b: tuple[str, str],
    pc: float,
    fs: float,
    second: float,
    nr: float,
) -> None:
    assert ki(a, b, "parent-child") == pytest.approx(pc / nr, rel=1e-12)
    assert ki(a, b, "full-sib") == pytest.approx(fs / nr, rel=1e-12)
    for relationship in ("half-sib", "grandparent", "avuncular"):
        assert ki(a, b, relationship) == pytest.approx(second / nr, rel=1e-12)
    # First cousins share one gene IBD with probability 1/4 (Thompson 1975; Lange Table 5.1),
    # so their index is 3/4 + 1/4 * (parent-child index).
    assert ki(a, b, "first-cousin") == pytest.approx(0.75 + 0.25 * pc / nr, rel=1e-12)
    assert ki(b, a, "full-sib") == pytest.approx(ki(a, b, "full-sib"), rel=1e-12)


def test_ghep_2024_parent_child_example() -> None:
    # GHEP 2024 exercise III-2: father a/b, child a/c, p = (0.01, 0.30, 0.69): LR = 25.
    freqs = {"D21S11": {"28": 0.01, "29": 0.30, "30": 0.69}}
    father, child = {"D21S11": ("28", "29")}, {"D21S11": ("28", "30")}
    assert kinship_index(father, child, "parent-child", freqs) == pytest.approx(25.0)
    assert paternity_index(child, father, freqs) == pytest.approx(25.0)


def test_ibd_coefficients() -> None:
    # Thompson 1975; Lange, Applied Probability, Table 5.1.
    assert ibd_coefficients("parent-child") == (0.0, 1.0, 0.0)
    assert ibd_coefficients("Full siblings") == (0.25, 0.5, 0.25)
    assert ibd_coefficients("half_sib") == ibd_coefficients("grandparent") == (0.5, 0.5, 0.0)
    assert ibd_coefficients("uncle-nephew") == ibd_coefficients("avuncular")
    assert ibd_coefficients("first cousin") == (0.75, 0.25, 0.0)
    assert set(IBD_COEFFICIENTS) >= {"unrelated", "identical-twin"}
    with pytest.raises(ValueError, match="unknown relationship 'second-cousin'"):
        ibd_coefficients("second-cousin")
    with pytest.raises(ValueError, match="summing to 1"):
        ibd_coefficients((0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="non-negative"):
        ibd_coefficients((1.5, -0.5, 0.0))


def test_kinship_uses_loci_typed_in_both_and_in_the_table() -> None:
    freqs = {"TH01": {"6": 0.2, "7": 0.8}, "TPOX": {"8": 0.5, "9": 0.5}}
    a = {"TH01": ("6", "6"), "TPOX": ("8", "8"), "AMEL": ("X", "Y")}
    b = {"TH01": ("6", "7"), "FGA": ("20", "21")}
    assert kinship_index(a, b, "parent-child", freqs) == pytest.approx(1 / (2 * 0.2))
    assert kinship_index(a, {"FGA": ("20", "21")}, "full-sib", freqs) == 1.0


def test_parent_child_exclusion_gives_zero() -> None:
    assert ki((P, P), (Q, R), "parent-child") == 0.0


@given(locus_case(), st.floats(0.0, 0.3))
def test_unrelated_is_one(case: LocusCase, theta: float) -> None:
    freqs, a, b = case
    table = {"FGA": freqs}
    value = kinship_index({"FGA": a}, {"FGA": b}, (1.0, 0.0, 0.0), table, theta=theta)
    assert value == pytest.approx(1.0, rel=1e-12)


@settings(max_examples=200)
@given(locus_case(), st.floats(0.0, 0.3), st.sampled_from(sorted(IBD_COEFFICIENTS)))
def test_kinship_equals_the_brute_force_joint_likelihood(
    case: LocusCase,
    theta: float,
    relationship: str,
) -> None:
    # tests/strstats/reference.py enumerates ordered genotypes and IBD pairings and draws the
    # distinct genes with the Balding-Nichols sampling formula: an independent route to
    # the same likelihood ratio, with and without theta.
    freqs, a, b = case
    k = IBD_COEFFICIENTS[relationship]
    expected = reference.kinship_lr(a, b, k, freqs, theta)
    got = kinship_index({"FGA": a}, {"FGA": b}, relationship, {"FGA": freqs}, theta=theta)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-15)
    swapped = kinship_index({"FGA": b}, {"FGA": a}, relationship, {"FGA": freqs}, theta=theta)
    assert swapped == pytest.approx(got, rel=1e-9, abs=1e-15)


@given(locus_case(), st.floats(0.0, 0.3))
def test_identical_twin_index_is_the_inverse_nrc_410_match_probability(
    case: LocusCase, theta: float
) -> None:
    # With k2 = 1, P0 is the conditional match probability, which is NRC II eq. 4.10.
    freqs, a, _ = case
    profile, table = {"FGA": a}, {"FGA": freqs}
    twin = kinship_index(profile, profile, "identical-twin", table, theta=theta)
    rmp = match_probability(profile, table, theta=theta, formula="nrc4.10")
    assert twin == pytest.approx(1 / rmp, rel=1e-12)


def test_theta_lowers_the_sibling_index_for_a_shared_rare_genotype() -> None:
    # Coancestry makes a shared genotype less surprising among unrelated people.
    assert ki((P, P), (P, P), "full-sib", theta=0.03) < ki((P, P), (P, P), "full-sib")


# --- the real NIST 1036 data --------------------------------------------------------------


def test_nist_caucasian_profile_statistics() -> None:
    sample = nist.read_csv()
    people = nist.population(sample, "Cauc")
    table = FrequencyTable.from_genotypes(people)
    person = people[0]
    rmp = match_probability(person, table)
    # Hand product over the person's 29 loci from the table's own frequencies.
    expected = 1.0
    for locus, (x, y) in person.items():
        fx, fy = table.freq(locus, x), table.freq(locus, y)
        expected *= fx * fx if x == y else 2 * fx * fy
    assert rmp == pytest.approx(expected, rel=1e-12)
    assert 0.0 < rmp < 1e-20  # 29 STR loci
    theta = 0.01
    rmp_410 = match_probability(person, table, theta=theta, formula="nrc4.10")
    assert rmp_410 > rmp
    twin = kinship_index(person, person, "identical-twin", table, theta=theta)
    assert twin == pytest.approx(1 / rmp_410, rel=1e-9)
