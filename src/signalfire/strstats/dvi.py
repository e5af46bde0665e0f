"""Disaster-victim identification: every unidentified profile against every family.

Each pair (victim, family) gets the likelihood ratio that the victim is the family's
missing member (:func:`~signalfire.strstats.pedigree.missing_person_lr`), with its factor per
locus; a pair where some locus has likelihood 0 is an *exclusion* (impossible without a
mutation model). A pair is proposed as an identification when its LR reaches the
threshold and is the largest both in its victim's row and in its family's column, the
pairwise first step of DVI practice (e.g. the ``dvir`` R package's pairwise table
before joint analysis). Pure code.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from signalfire.strstats.frequencies import FrequencyTable, as_frequency_table
from signalfire.strstats.pedigree import PedigreeInput, missing_person_locus_lrs
from signalfire.strstats.profiles import Profile

__all__ = ["DviCell", "Family", "dvi_matrix", "identifications"]

V = TypeVar("V", bound=Hashable)
F = TypeVar("F", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Family:
    """A reference pedigree, the member who is missing, and the typed relatives."""

    pedigree: PedigreeInput
    missing: str
    references: Mapping[str, Profile]


@dataclass(frozen=True, slots=True)
class DviCell(Generic[V, F]):
    """One victim against one family."""

    victim: V
    family: F
    log10_lr: float  # -inf for an exclusion
    excluding_loci: tuple[str, ...]
    loci: int  # loci that entered the LR

    @property
    def excluded(self) -> bool:
        """Whether some locus rules the family out."""
        return bool(self.excluding_loci)

    @property
    def lr(self) -> float:
        """The likelihood ratio (``inf`` beyond a float's range)."""
        return math.inf if self.log10_lr > 308 else float(10.0**self.log10_lr)


def _cell(victim: V, family: F, factors: Mapping[str, float]) -> DviCell[V, F]:
    excluding = tuple(sorted(locus for locus, lr in factors.items() if lr <= 0.0))
    log10 = -math.inf if excluding else sum(math.log10(lr) for lr in factors.values())
    return DviCell(victim, family, log10, excluding, len(factors))


def dvi_matrix(
    victims: Mapping[V, Profile],
    families: Mapping[F, Family],
    freqs: FrequencyTable | Mapping[str, Mapping[str, float]],
    *,
    mutation: Mapping[str, object] | None = None,
) -> list[DviCell[V, F]]:
    """The pairwise LR of every victim against every family, victim by victim.

    Examples
    --------
    Two victims, one family (father typed; the missing person is his child):

    >>> fam = Family({"fa": (None, None), "mo": (None, None), "mp": ("fa", "mo")}, "mp",
    ...              {"fa": {"TH01": ("6", "7")}})
    >>> freqs = {"TH01": {"6": 0.01, "7": 0.3, "8": 0.69}}
    >>> cells = dvi_matrix({"V1": {"TH01": ("6", "8")}, "V2": {"TH01": ("8", "8")}},
    ...                    {"F1": fam}, freqs)
    >>> [(c.victim, round(c.lr, 6), c.excluding_loci) for c in cells]
    [('V1', 25.0, ()), ('V2', 0.0, ('TH01',))]
    """
    table = as_frequency_table(freqs)
    cells: list[DviCell[V, F]] = []
    for victim, profile in victims.items():
        for key, family in families.items():
            factors = missing_person_locus_lrs(
                family.pedigree,
                family.missing,
                profile,
                family.references,
                table,
                mutation=mutation,
            )
            cells.append(_cell(victim, key, factors))
    return cells


def identifications(
    cells: list[DviCell[V, F]], *, threshold: float = 10_000.0
) -> list[DviCell[V, F]]:
    """Pairs with LR >= ``threshold`` that are the best of their row and of their column.

    Examples
    --------
    >>> cells = [DviCell("V1", "F1", 6.0, (), 20), DviCell("V1", "F2", 2.0, (), 20),
    ...          DviCell("V2", "F1", 5.0, (), 20), DviCell("V2", "F2", 1.0, (), 20)]
    >>> [(c.victim, c.family) for c in identifications(cells)]
    [('V1', 'F1')]
    """
    floor = math.log10(threshold)
    best_victim: dict[V, float] = {}
    best_family: dict[F, float] = {}
    for cell in cells:
        best_victim[cell.victim] = max(best_victim.get(cell.victim, -math.inf), cell.log10_lr)
        best_family[cell.family] = max(best_family.get(cell.family, -math.inf), cell.log10_lr)
    return [
        cell
        for cell in cells
        if cell.log10_lr >= floor
        and cell.log10_lr == best_victim[cell.victim] == best_family[cell.family]
    ]
