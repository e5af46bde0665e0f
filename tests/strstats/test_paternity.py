"""Paternity index (trios and duos) against published formula tables and values.

Sources cited beside the cases:

- Brenner-PI: C. H. Brenner, "Formulas for paternity situations", dna-view.com/patform.htm
  (co-dominant column).
- Goodwin: Goodwin, Linacre & Hadi, *An Introduction to Forensic Genetics*, ch. 11,
  Table 11.3 (paternity indices without the mother) and the probability-of-paternity example.
- GHEP 2024: see tests/strstats/test_stats.py (the same case, as a kinship index).

Paternity with mutation is tested in tests/strstats/test_mutation.py.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given

from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.stats import kinship_index, paternity_index, probability_of_paternity
from tests.strstats import nist
from tests.strstats.cases import FREQS, F, LocusCase, P, Q, R, S, at, locus_case, p, q

# --- paternity index --------------------------------------------------------------------

# Brenner-PI, co-dominant rows: (child, mother or None, alleged father, PI); "impossible"
# rows (the mother excluded) are in test_inconsistent_mother_is_an_error.
BRENNER_PI = [
    ((Q, Q), (P, Q), (Q, Q), 1 / q),
    ((P, Q), (P, P), (Q, Q), 1 / q),
    ((P, Q), (P, R), (Q, Q), 1 / q),
    ((Q, Q), (Q, Q), (Q, Q), 1 / q),
    ((P, Q), (P, P), (Q, R), 1 / (2 * q)),
    ((P, Q), (P, R), (Q, R), 1 / (2 * q)),
    ((P, Q), (P, S), (Q, R), 1 / (2 * q)),
    ((P, Q), (P, P), (P, Q), 1 / (2 * q)),
    ((Q, Q), (P, Q), (Q, R), 1 / (2 * q)),
    ((Q, Q), (P, Q), (P, Q), 1 / (2 * q)),
    ((Q, Q), (Q, Q), (Q, R), 1 / (2 * q)),
    ((P, Q), (P, Q), (P, Q), 1 / (p + q)),
    ((P, Q), (P, Q), (Q, Q), 1 / (p + q)),
    ((P, Q), (P, Q), (Q, R), 1 / (2 * p + 2 * q)),
    ((Q, Q), (P, Q), (R, R), 0.0),
    ((Q, Q), (Q, Q), (R, R), 0.0),
    # Mother not tested; the same five rows are Goodwin Table 11.3.
    ((Q, Q), None, (Q, Q), 1 / q),
    ((P, Q), None, (Q, Q), 1 / (2 * q)),
    ((Q, Q), None, (Q, R), 1 / (2 * q)),
    ((P, Q), None, (P, Q), (p + q) / (4 * p * q)),
    ((P, Q), None, (Q, R), 1 / (4 * q)),
    ((Q, Q), None, (R, R), 0.0),
]


@pytest.mark.parametrize(("child", "mother", "father", "expected"), BRENNER_PI)
def test_paternity_index_matches_brenner(
    child: tuple[str, str],
    mother: tuple[str, str] | None,
    father: tuple[str, str],
    expected: float,
) -> None:
    value = paternity_index(
        at(child), at(father), FREQS, mother=None if mother is None else at(mother)
    )
    assert value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("child", "mother", "father"),
    [((Q, Q), (P, P), (Q, Q)), ((Q, Q), (P, P), (Q, R)), ((Q, Q), (P, P), (R, R))],
)
def test_inconsistent_mother_is_an_error(
    child: tuple[str, str], mother: tuple[str, str], father: tuple[str, str]
) -> None:
    with pytest.raises(ValueError, match=r"locus D8S1179: the child .* no allele of the mother"):
        paternity_index(at(child), at(father), FREQS, mother=at(mother))


def test_trio_with_the_mother_untyped_at_a_locus_is_a_duo_there() -> None:
    freqs = {"D8S1179": F, "TH01": {"6": 0.25, "7": 0.75}}
    child = {"D8S1179": (P, Q), "TH01": ("6", "7")}
    father = {"D8S1179": (Q, R), "TH01": ("6", "6")}
    mother = {"D8S1179": (P, P)}
    expected = (1 / (2 * q)) * (1 / (2 * 0.25))
    assert paternity_index(child, father, freqs, mother=mother) == pytest.approx(expected)


@given(locus_case())
def test_duo_paternity_index_equals_parent_child_kinship(
    case: LocusCase,
) -> None:
    freqs, child, father = case
    table = {"FGA": freqs}
    pi = paternity_index({"FGA": child}, {"FGA": father}, table)
    assert pi == pytest.approx(
        kinship_index({"FGA": father}, {"FGA": child}, "parent-child", table), rel=1e-12
    )


def test_probability_of_paternity() -> None:
    # Goodwin, ch. 11: CPI 2 920 823 and prior 0.1 give 0.999996919.
    assert probability_of_paternity(2_920_823, prior=0.1) == pytest.approx(0.999996919, abs=5e-10)
    assert probability_of_paternity(1.0) == 0.5
    assert probability_of_paternity(0.0) == 0.0
    with pytest.raises(ValueError, match="prior"):
        probability_of_paternity(10.0, prior=1.0)
    with pytest.raises(ValueError, match="not negative"):
        probability_of_paternity(-1.0)


# --- the real NIST 1036 data --------------------------------------------------------------


def test_nist_simulated_trio_supports_paternity() -> None:
    # A child made from two real NIST 1036 people (one random allele from each parent).
    people = nist.population(nist.read_csv(), "AA")
    table = FrequencyTable.from_genotypes(people)
    rng = random.Random(1036)
    mother, father, stranger = people[0], people[1], people[2]
    loci = sorted(set(mother) & set(father))
    child = {locus: (rng.choice(mother[locus]), rng.choice(father[locus])) for locus in loci}
    cpi = paternity_index(child, father, table, mother=mother)
    assert cpi > 1e4
    assert kinship_index(child, father, "parent-child", table) > 1e2
    assert paternity_index(child, stranger, table, mother=mother) == 0.0
