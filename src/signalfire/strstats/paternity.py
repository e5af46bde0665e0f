"""Paternity index for trios (mother, child, alleged father) and duos (no mother).

At each locus ``PI = X / Y`` with

    X = P(child | mother, alleged father is the father)
    Y = P(child | mother, a random man is the father)

Each parent passes on either of its alleles with probability 1/2; an untyped parent (the
random man, or the mother in a duo) passes on allele ``c`` with probability ``p_c``. For a
child ``c1 c2``, ``P = T_m(c1) T_f(c2) + T_m(c2) T_f(c1)`` (one term when ``c1 = c2``), with
``T_m`` and ``T_f`` the transmission probabilities from mother and father. These give the
classic formulas (e.g. child ``pq``, mother ``pq``, alleged father ``pq``: ``1 / (p + q)``;
no mother, child ``pq``, alleged father ``qr``: ``1 / (4 q)``; Brenner, *Formulas for
paternity situations*, dna-view.com).

With a mutation model every transmission goes through a mutation matrix ``M``
(:func:`~signalfire.strstats.mutation.mutation_matrix`, rows: allele of the parent): a typed
parent with genotype ``g1 g2`` passes ``c`` with probability ``(M[g1, c] + M[g2, c]) / 2``
and an untyped one with ``sum_k p_k M[k, c]``, as in a pedigree likelihood (pedprobr). An
inconsistent locus then gives a small positive PI instead of 0. The matrix covers the
alleles of the locus in the frequency table plus any observed allele missing from it; the
``proportional`` model gets those frequencies rescaled to sum to 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from signalfire.strstats.frequencies import FrequencyTable, as_frequency_table
from signalfire.strstats.mutation import mutation_matrix
from signalfire.strstats.profiles import (
    Genotype,
    Profile,
    allele_order,
    canonical_profile,
    frequency_lookup,
    shared_loci,
)

__all__ = ["MutationModel", "paternity_index", "probability_of_paternity"]

Frequencies = FrequencyTable | Mapping[str, Mapping[str, float]]
Transmission = Callable[[str], float]


@dataclass(frozen=True)
class MutationModel:
    """Parameters of :func:`~signalfire.strstats.mutation.mutation_matrix` for every locus."""

    model: str
    rate: float
    rate2: float = 0.0
    range_: float = 0.5

    @classmethod
    def parse(cls, spec: Mapping[str, object]) -> MutationModel:
        """From ``{"model": ..., "rate": ..., "rate2": ..., "range": ...}``."""
        allowed = {"model", "rate", "rate2", "range", "range_"}
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise ValueError(f"mutation: unknown keys {unknown}; expected {sorted(allowed)}")
        if "model" not in spec or "rate" not in spec:
            raise ValueError("mutation: 'model' and 'rate' are required")
        model, rate = spec["model"], spec["rate"]
        rate2, range_ = spec.get("rate2", 0.0), spec.get("range", spec.get("range_", 0.5))
        if not isinstance(model, str):
            raise ValueError("mutation: 'model' must be a string")
        for name, value in (("rate", rate), ("rate2", rate2), ("range", range_)):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"mutation: {name!r} must be a number")
        return cls(model, float(rate), float(rate2), float(range_))  # type: ignore[arg-type]


def _pair(t_mother: Transmission, t_father: Transmission, child: Genotype) -> float:
    c1, c2 = child
    if c1 == c2:
        return t_mother(c1) * t_father(c1)
    return t_mother(c1) * t_father(c2) + t_mother(c2) * t_father(c1)


class _Locus:
    """Transmission probabilities at one locus, with or without mutation."""

    def __init__(
        self,
        table: FrequencyTable,
        locus: str,
        observed: set[str],
        model: MutationModel | None,
    ) -> None:
        self.p = frequency_lookup(table, locus)
        self.matrix: np.ndarray | None = None
        if model is None:
            return
        alleles = sorted(set(table.alleles(locus)) | observed, key=allele_order)
        self.index = {allele: i for i, allele in enumerate(alleles)}
        self.freqs = np.array([self.p(a) for a in alleles])
        afreq = (self.freqs / self.freqs.sum()).tolist()
        self.matrix = mutation_matrix(
            alleles, model.model, model.rate, afreq=afreq, rate2=model.rate2, range_=model.range_
        )
        self.untyped_row = self.freqs @ self.matrix

    def from_parent(self, genotype: Genotype) -> Transmission:
        g1, g2 = genotype
        if self.matrix is None:
            return lambda c: 0.5 * ((g1 == c) + (g2 == c))
        m, index = self.matrix, self.index
        return lambda c: 0.5 * float(m[index[g1], index[c]] + m[index[g2], index[c]])

    def from_untyped(self) -> Transmission:
        if self.matrix is None:
            return self.p
        row, index = self.untyped_row, self.index
        return lambda c: float(row[index[c]])


def paternity_index(
    child: Profile,
    alleged_father: Profile,
    freqs: Frequencies,
    *,
    mother: Profile | None = None,
    mutation: Mapping[str, object] | None = None,
) -> float:
    """Combined paternity index: the product of per-locus ``X / Y`` (module docstring).

    Parameters
    ----------
    child, alleged_father
        Profiles ``{locus: (allele1, allele2)}``.
    freqs
        A :class:`FrequencyTable` (its 5/2N minimum applies) or ``{locus: {allele: f}}``.
    mother
        The mother's profile for a trio; loci where she is untyped are computed as duos.
    mutation
        ``{"model": "equal" | "proportional" | "stepwise" | "onestep", "rate": ...}`` plus
        ``"rate2"`` and ``"range"`` for ``stepwise``; applied to both parents.

    Returns
    -------
    float
        Over the loci typed in child and alleged father and present in the table; 0 when
        a locus excludes the alleged father and no mutation model is given.

    Raises
    ------
    ValueError
        If the child shares no allele with the mother at a locus and no mutation model
        is given (the mother is then inconsistent, not the alleged father).

    Examples
    --------
    ISFG-GHEP 2024 course (Vigeland & Egeland), exercise III-2: alleged father a/b, child
    a/c, no mother, ``p_a = 0.01``: PI = 1 / (4 p_a) = 25.

    >>> freqs = {"TH01": {"6": 0.01, "7": 0.30, "8": 0.69}}
    >>> paternity_index({"TH01": ("6", "8")}, {"TH01": ("6", "7")}, freqs)
    25.0

    The same with a mother 8/8: the paternal allele must be 6, PI = 1 / (2 p_a).

    >>> paternity_index({"TH01": ("6", "8")}, {"TH01": ("6", "7")}, freqs,
    ...                 mother={"TH01": ("8", "8")})
    50.0
    """
    model = None if mutation is None else MutationModel.parse(mutation)
    table = as_frequency_table(freqs)
    kid = canonical_profile(child, who="child")
    father = canonical_profile(alleged_father, who="alleged father")
    mum = None if mother is None else canonical_profile(mother, who="mother")
    result = 1.0
    for locus in shared_loci(table, kid, father):
        maternal = None if mum is None else mum.get(locus)
        observed = {*kid[locus], *father[locus], *(maternal or ())}
        at = _Locus(table, locus, observed, model)
        t_mother = at.from_untyped() if maternal is None else at.from_parent(maternal)
        x = _pair(t_mother, at.from_parent(father[locus]), kid[locus])
        y = _pair(t_mother, at.from_untyped(), kid[locus])
        if y <= 0.0:
            raise ValueError(
                f"locus {locus}: the child {kid[locus]} has no allele of the mother "
                f"{maternal}; check the profiles or give a mutation model"
            )
        result *= x / y
    return result


def probability_of_paternity(cpi: float, prior: float = 0.5) -> float:
    """Posterior probability of paternity ``W = CPI * P / (CPI * P + 1 - P)``.

    Examples
    --------
    Goodwin, Linacre & Hadi, *An Introduction to Forensic Genetics*, ch. 11: CPI 2 920 823
    with prior 0.1 gives 0.999996919.

    >>> round(probability_of_paternity(2_920_823, prior=0.1), 9)
    0.999996919
    """
    if not 0.0 < prior < 1.0:
        raise ValueError(f"prior must be in (0, 1), got {prior!r}")
    if cpi < 0.0:
        raise ValueError(f"a paternity index is not negative, got {cpi!r}")
    return cpi * prior / (cpi * prior + 1.0 - prior)
