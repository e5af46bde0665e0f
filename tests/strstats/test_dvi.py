"""Disaster-victim identification on families built from the NIST 1036 genotypes."""

from __future__ import annotations

import math
import random

import pytest

from signalfire.strstats.dvi import Family, dvi_matrix, identifications
from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.kinship import kinship_index
from tests.strstats import nist

Person = dict[str, tuple[str, str]]
TRIO: list[dict[str, str | None]] = [
    {"id": "fa", "father": None, "mother": None, "sex": "male"},
    {"id": "mo", "father": None, "mother": None, "sex": "female"},
    {"id": "mp", "father": "fa", "mother": "mo", "sex": "male"},
    {"id": "sib", "father": "fa", "mother": "mo", "sex": "female"},
]


def child(rng: random.Random, father: Person, mother: Person) -> Person:
    return {
        locus: (rng.choice(father[locus]), rng.choice(mother[locus]))
        for locus in father
        if locus in mother
    }


@pytest.fixture(scope="module")
def disaster() -> tuple[dict[str, Person], dict[str, Family], FrequencyTable]:
    """Four families (one typed parent + one sibling each), their four missing children
    among six victims (two victims belong to no family)."""
    people = [person for _, person in nist.read_csv().values()]
    table = FrequencyTable.from_genotypes(people)
    rng = random.Random(2004)
    victims: dict[str, Person] = {}
    families: dict[str, Family] = {}
    for number in range(4):
        father, mother = people[2 * number], people[2 * number + 1]
        missing, sibling = child(rng, father, mother), child(rng, father, mother)
        victims[f"V{number}"] = missing
        families[f"F{number}"] = Family(TRIO, "mp", {"fa": father, "sib": sibling})
    victims["V8"], victims["V9"] = people[100], people[101]
    return victims, families, table


def test_each_missing_person_is_identified_and_no_one_else(
    disaster: tuple[dict[str, Person], dict[str, Family], FrequencyTable],
) -> None:
    victims, families, table = disaster
    cells = dvi_matrix(victims, families, table)
    assert len(cells) == len(victims) * len(families)
    found = {(c.victim, c.family) for c in identifications(cells, threshold=1e4)}
    assert found == {(f"V{n}", f"F{n}") for n in range(4)}
    for cell in cells:
        if cell.victim in ("V8", "V9"):  # unrelated to every family: excluded by the father
            assert cell.excluded, (cell.victim, cell.family)
            assert cell.lr == 0.0


def test_a_sibling_only_family_agrees_with_the_kinship_index(
    disaster: tuple[dict[str, Person], dict[str, Family], FrequencyTable],
) -> None:
    """With only a full sibling typed, the pedigree LR is the full-sibling kinship index."""
    victims, families, table = disaster
    sibling = families["F0"].references["sib"]
    alone = {"F0": Family(TRIO, "mp", {"sib": sibling})}
    (cell,) = dvi_matrix({"V0": victims["V0"]}, alone, table)
    expected = kinship_index(victims["V0"], sibling, "full-sib", table)
    assert cell.log10_lr == pytest.approx(math.log10(expected), rel=1e-9)
    assert not cell.excluded
