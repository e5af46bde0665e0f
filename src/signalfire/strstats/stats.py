"""Match statistics for single-source STR profiles, and the public statistics API.

This module computes random match probabilities and re-exports the kinship, paternity and
mutation functions, so ``from signalfire.strstats.stats import ...`` reaches all of them:

- :func:`match_probability` (here),
- :func:`~signalfire.strstats.kinship.kinship_index`,
- :func:`~signalfire.strstats.paternity.paternity_index`,
- :func:`~signalfire.strstats.mutation.mutation_matrix`.

Inputs are plain data: a profile is ``{locus: (allele1, allele2)}``, frequencies a
:class:`~signalfire.strstats.frequencies.FrequencyTable` or ``{locus: {allele: frequency}}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from signalfire.strstats.frequencies import FrequencyTable, as_frequency_table
from signalfire.strstats.kinship import IBD_COEFFICIENTS, kinship_index
from signalfire.strstats.mutation import mutation_matrix
from signalfire.strstats.paternity import paternity_index, probability_of_paternity
from signalfire.strstats.profiles import (
    Profile,
    allele_frequency,
    canonical_profile,
    check_theta,
    shared_loci,
)

__all__ = [
    "IBD_COEFFICIENTS",
    "MATCH_FORMULAS",
    "genotype_match_probability",
    "kinship_index",
    "match_probability",
    "mutation_matrix",
    "paternity_index",
    "probability_of_paternity",
]

MATCH_FORMULAS = ("product", "nrc4.1", "nrc4.10")

Frequencies = FrequencyTable | Mapping[str, Mapping[str, float]]


def genotype_match_probability(
    p: float, q: float | None, *, theta: float = 0.0, formula: str = "product"
) -> float:
    """Match probability of one genotype: homozygote when ``q`` is ``None``.

    ``product`` (Hardy-Weinberg)
        ``p**2`` or ``2*p*q``.
    ``nrc4.1`` (NRC II recommendation 4.1)
        homozygote ``p**2 + p*(1 - p)*theta``; heterozygote ``2*p*q``.
    ``nrc4.10`` (NRC II eqs. 4.10a/b; Balding & Nichols 1994)
        homozygote ``[2t + (1-t)p][3t + (1-t)p] / [(1+t)(1+2t)]``;
        heterozygote ``2[t + (1-t)p][t + (1-t)q] / [(1+t)(1+2t)]``.

    Examples
    --------
    >>> [round(genotype_match_probability(0.1, q), 12) for q in (None, 0.2)]  # p^2, 2pq
    [0.01, 0.04]
    >>> round(genotype_match_probability(0.1, None, theta=0.01, formula="nrc4.1"), 6)
    0.0109
    >>> round(genotype_match_probability(0.1, None, theta=0.01, formula="nrc4.10"), 6)
    0.014901
    """
    theta = check_theta(theta)
    if formula == "product" or (formula == "nrc4.1" and q is not None):
        return p * p if q is None else 2.0 * p * q
    if formula == "nrc4.1":
        return p * p + p * (1.0 - p) * theta
    if formula != "nrc4.10":
        raise ValueError(f"unknown formula {formula!r}; expected one of {MATCH_FORMULAS}")
    denominator = (1.0 + theta) * (1.0 + 2.0 * theta)
    if q is None:
        return (2 * theta + (1 - theta) * p) * (3 * theta + (1 - theta) * p) / denominator
    return 2.0 * (theta + (1 - theta) * p) * (theta + (1 - theta) * q) / denominator


def match_probability(
    profile: Profile, freqs: Frequencies, *, theta: float = 0.0, formula: str = "product"
) -> float:
    """Random match probability of a profile: the product over its loci in the table.

    Loci of the profile missing from the table (Amelogenin, usually) are left out; a
    profile with no such locus has match probability 1 (no evidence).

    Parameters
    ----------
    profile
        ``{locus: (allele1, allele2)}``.
    freqs
        A :class:`FrequencyTable` (its 5/2N minimum applies) or ``{locus: {allele: f}}``.
    theta
        Coancestry coefficient (F_ST) in [0, 1); NRC II suggests 0.01, 0.03 for small
        isolated populations.
    formula
        ``"product"``, ``"nrc4.1"`` or ``"nrc4.10"``; see
        :func:`genotype_match_probability`.

    Returns
    -------
    float
        In (0, 1].

    Examples
    --------
    >>> freqs = {"TH01": {"6": 0.2, "9.3": 0.3}, "TPOX": {"8": 0.5}}
    >>> profile = {"TH01": ("6", "9.3"), "TPOX": ("8", "8"), "AMEL": ("X", "Y")}
    >>> round(match_probability(profile, freqs), 6)  # 2 * 0.2 * 0.3 * 0.5**2
    0.03
    >>> round(match_probability(profile, freqs, theta=0.01, formula="nrc4.10"), 6)
    0.032535
    """
    if formula not in MATCH_FORMULAS:
        raise ValueError(f"unknown formula {formula!r}; expected one of {MATCH_FORMULAS}")
    theta = check_theta(theta)
    table = as_frequency_table(freqs)
    typed = canonical_profile(profile)
    result = 1.0
    for locus in shared_loci(table, typed):
        first, second = typed[locus]
        p = allele_frequency(table, locus, first)
        q = None if first == second else allele_frequency(table, locus, second)
        result *= genotype_match_probability(p, q, theta=theta, formula=formula)
    return result
