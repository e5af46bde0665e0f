"""Missing-person LR from a pedigree, cross-checked against the pairwise formulas.

For two people whose only link is the pedigree, the pedigree likelihood ratio must equal
the kinship index with the pedigree's IBD coefficients (Thompson 1975; Lange, *Applied
Probability*, Table 5.1, which also gives double first cousins (9/16, 6/16, 1/16)), and a
missing father must give the paternity index.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.pedigree import Pedigree, missing_person_lr
from signalfire.strstats.stats import kinship_index, paternity_index
from tests.strstats import nist
from tests.strstats.cases import LocusCase, locus_case

FOUNDER = (None, None)

# Each pedigree links a typed reference "ref" and the missing person "mp".
PEDIGREES: dict[str, Pedigree] = {
    "parent-child": {"ref": FOUNDER, "mo": FOUNDER, "mp": ("ref", "mo")},
    "full-sib": {"fa": FOUNDER, "mo": FOUNDER, "ref": ("fa", "mo"), "mp": ("fa", "mo")},
    "half-sib": {
        "fa": FOUNDER, "m1": FOUNDER, "m2": FOUNDER, "ref": ("fa", "m1"), "mp": ("fa", "m2"),
    },
    "grandparent": {
        "ref": FOUNDER, "gm": FOUNDER, "fa": ("ref", "gm"), "mo": FOUNDER, "mp": ("fa", "mo"),
    },
    "avuncular": {
        "gf": FOUNDER, "gm": FOUNDER, "ref": ("gf", "gm"), "fa": ("gf", "gm"), "mo": FOUNDER,
        "mp": ("fa", "mo"),
    },
    "first-cousin": {
        "gf": FOUNDER, "gm": FOUNDER, "a": ("gf", "gm"), "b": ("gf", "gm"), "sa": FOUNDER,
        "sb": FOUNDER, "ref": ("a", "sa"), "mp": ("b", "sb"),
    },
}  # fmt: skip

# Double first cousins: two brothers-and-sisters pairs intermarried (a pedigree loop).
DOUBLE_FIRST_COUSINS: Pedigree = {
    "g1": FOUNDER, "h1": FOUNDER, "g2": FOUNDER, "h2": FOUNDER,
    "a": ("g1", "h1"), "b": ("g1", "h1"), "c": ("g2", "h2"), "d": ("g2", "h2"),
    "ref": ("a", "c"), "mp": ("d", "b"),
}  # fmt: skip


def one_locus(
    case: LocusCase,
) -> tuple[dict[str, dict[str, float]], dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    freqs, a, b = case
    return {"FGA": freqs}, {"FGA": a}, {"FGA": b}


@given(locus_case(), st.sampled_from(sorted(PEDIGREES)))
def test_pedigree_lr_equals_the_kinship_index(case: LocusCase, relationship: str) -> None:
    table, ref, candidate = one_locus(case)
    lr = missing_person_lr(PEDIGREES[relationship], "mp", candidate, {"ref": ref}, table)
    assert lr == pytest.approx(kinship_index(ref, candidate, relationship, table), rel=1e-9)


@given(locus_case())
def test_a_pedigree_loop_double_first_cousins(case: LocusCase) -> None:
    table, ref, candidate = one_locus(case)
    lr = missing_person_lr(DOUBLE_FIRST_COUSINS, "mp", candidate, {"ref": ref}, table)
    expected = kinship_index(ref, candidate, (9 / 16, 6 / 16, 1 / 16), table)
    assert lr == pytest.approx(expected, rel=1e-9)


TRIO: Pedigree = {"mp": FOUNDER, "mo": FOUNDER, "child": ("mp", "mo")}


@given(locus_case())
def test_missing_father_with_mother_and_child_is_the_paternity_index(case: LocusCase) -> None:
    table, mother, candidate = one_locus(case)
    child = {"FGA": (mother["FGA"][0], candidate["FGA"][1])}
    lr = missing_person_lr(TRIO, "mp", candidate, {"mo": mother, "child": child}, table)
    assert lr == pytest.approx(paternity_index(child, candidate, table, mother=mother), rel=1e-9)


@given(locus_case(), st.sampled_from(["equal", "proportional", "stepwise", "onestep"]))
def test_missing_father_with_mutation_is_the_paternity_index(case: LocusCase, model: str) -> None:
    table, child, candidate = one_locus(case)
    assume(len(table["FGA"]) > 1)
    mutation = {"model": model, "rate": 0.005, "rate2": 0.001, "range": 0.5}
    lr = missing_person_lr(TRIO, "mp", candidate, {"child": child}, table, mutation=mutation)
    expected = paternity_index(child, candidate, table, mutation=mutation)
    assert lr == pytest.approx(expected, rel=1e-9)


def test_pedmut_readme_case_as_a_missing_father() -> None:
    # pedmut README: father 1/1, boy 2/2, alleles 1:4 at 1/4, proportional rate 0.1:
    # likelihood 0.0005208333; the unrelated likelihood is (1/16)^2.
    freqs = {"TPOX": {"1": 0.25, "2": 0.25, "3": 0.25, "4": 0.25}}
    lr = missing_person_lr(
        TRIO,
        "mp",
        {"TPOX": ("1", "1")},
        {"child": {"TPOX": ("2", "2")}},
        freqs,
        mutation={"model": "proportional", "rate": 0.1},
    )
    assert lr / 256 == pytest.approx(0.0005208333, abs=5e-11)


def test_loci_without_typed_relatives_contribute_one() -> None:
    freqs = {"TH01": {"6": 0.5, "7": 0.5}, "TPOX": {"8": 0.25, "9": 0.75}}
    candidate = {"TH01": ("6", "6"), "TPOX": ("8", "9"), "AMEL": ("X", "Y")}
    ref = {"TH01": ("6", "7")}
    lr = missing_person_lr(PEDIGREES["parent-child"], "mp", candidate, {"ref": ref}, freqs)
    assert lr == pytest.approx(1 / (2 * 0.5))
    assert missing_person_lr(PEDIGREES["full-sib"], "mp", candidate, {}, freqs) == pytest.approx(
        1.0
    )


def test_nist_siblings_over_29_loci() -> None:
    # Two full siblings made from two real NIST 1036 parents; the table has no sample size,
    # so both methods use the same frequencies (summing to 1 at every locus).
    people = nist.population(nist.read_csv(), "Hisp")
    counted = FrequencyTable.from_genotypes(people)
    table = FrequencyTable.from_mapping(counted.as_dict())
    father, mother = people[3], people[4]
    loci = sorted(set(father) & set(mother))
    sib1 = {locus: (father[locus][0], mother[locus][1]) for locus in loci}
    sib2 = {locus: (father[locus][1], mother[locus][1]) for locus in loci}
    lr = missing_person_lr(PEDIGREES["full-sib"], "mp", sib2, {"ref": sib1}, table)
    assert lr == pytest.approx(kinship_index(sib1, sib2, "full-sib", table), rel=1e-9)
    assert lr > 1.0
    with_parents = missing_person_lr(
        PEDIGREES["full-sib"], "mp", sib2, {"ref": sib1, "fa": father, "mo": mother}, counted
    )
    assert with_parents > lr


@pytest.mark.parametrize(
    ("pedigree", "missing", "refs", "message"),
    [
        ({"a": ("b", None)}, "a", {}, "needs both parents or none"),
        ({"a": ("x", "y")}, "a", {}, "parent 'x' of 'a' is not a member"),
        ({"a": ("b", "c"), "b": ("a", "c"), "c": FOUNDER}, "a", {}, "their own ancestor"),
        ({"a": FOUNDER}, "z", {}, "missing person 'z' is not in the pedigree"),
        ({"a": FOUNDER}, "a", {"a": {"TH01": ("6", "6")}}, "other than the missing person"),
        ({"a": FOUNDER}, "a", {"q": {"TH01": ("6", "6")}}, "other than the missing person"),
    ],
)
def test_bad_pedigrees(
    pedigree: Pedigree, missing: str, refs: dict[str, dict[str, tuple[str, str]]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        missing_person_lr(pedigree, missing, {"TH01": ("6", "7")}, refs, {"TH01": {"6": 0.5}})


def test_a_pedigree_as_records_gives_the_same_lr() -> None:
    """The issue's input form, ``[{"id", "father", "mother", "sex"}]``, equals the mapping."""
    freqs = {"TH01": {"6": 0.1, "7": 0.3, "8": 0.6}}
    records: list[dict[str, str | None]] = [
        {"id": "fa", "father": None, "mother": None, "sex": "male"},
        {"id": "mo", "sex": "female"},
        {"id": "mp", "father": "fa", "mother": "mo", "sex": "male"},
        {"id": "sib", "father": "fa", "mother": "mo", "sex": "female"},
    ]
    mapping = {"fa": (None, None), "mo": (None, None), "mp": ("fa", "mo"), "sib": ("fa", "mo")}
    victim, sib = {"TH01": ("6", "7")}, {"TH01": ("6", "8")}
    assert missing_person_lr(records, "mp", victim, {"sib": sib}, freqs) == pytest.approx(
        missing_person_lr(mapping, "mp", victim, {"sib": sib}, freqs), rel=1e-12
    )
    with pytest.raises(ValueError, match="theta must be 0"):
        missing_person_lr(records, "mp", victim, {"sib": sib}, freqs, theta=0.01)
    with pytest.raises(ValueError, match="appears twice"):
        missing_person_lr([*records, records[0]], "mp", victim, {}, freqs)
