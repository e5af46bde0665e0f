"""Kinship index: likelihood ratio of a pairwise relationship against unrelatedness.

For two people with genotypes ``a`` and ``b`` at a locus and a relationship with
identity-by-descent (IBD) coefficients ``(k0, k1, k2)`` (probabilities that they share
0, 1 or 2 alleles IBD), the per-locus likelihood ratio is

    LR = k0 + k1 * P1 / P0 + k2 * P2 / P0

where ``Pi`` is the probability of ``b`` given ``a`` when ``i`` alleles are IBD (``P0``:
unrelated). The alleles not IBD are drawn with the Balding-Nichols sampling formula
(Balding & Nichols 1994; NRC II 1996, section 4): the probability that the next allele is
``X``, after alleles ``S`` have been seen in the same subpopulation, is

    s(X | S) = (n_X(S) * theta + (1 - theta) * p_X) / (1 + (|S| - 1) * theta)

(``n_X(S)``: copies of ``X`` in ``S``). With ``a = (a1, a2)`` seen first:

- ``P0``: ``b = XX``: ``s(X|a) * s(X|a,X)``; ``b = XY``: ``2 * s(X|a) * s(Y|a,X)``.
- ``P1``: ``b`` copies one of ``a``'s alleles, each with probability 1/2, and its other
  allele is new: ``b = XX``: ``1/2 * sum_i [a_i = X] * s(X|a)``; ``b = XY``:
  ``1/2 * sum_i ([a_i = X] * s(Y|a) + [a_i = Y] * s(X|a))``.
- ``P2``: 1 if ``b`` equals ``a``, else 0.

With ``theta = 0``, ``s(X|S) = p_X`` and these are the classic formulas (e.g. full
siblings both ``pp``: ``(1 + p)**2 / (4 p**2)``, Brenner, *Likelihood ratios for sibship*,
dna-view.com). The combined index is the product over the loci typed in both people
and present in the frequency table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from signalfire.strstats.frequencies import FrequencyTable, as_frequency_table
from signalfire.strstats.profiles import (
    Genotype,
    Profile,
    canonical_profile,
    check_theta,
    frequency_lookup,
    shared_loci,
)

__all__ = ["IBD_COEFFICIENTS", "ibd_coefficients", "kinship_index", "locus_kinship_index"]

IBD_COEFFICIENTS: Mapping[str, tuple[float, float, float]] = MappingProxyType(
    {
        "unrelated": (1.0, 0.0, 0.0),
        "parent-child": (0.0, 1.0, 0.0),
        "full-sib": (0.25, 0.5, 0.25),
        "half-sib": (0.5, 0.5, 0.0),
        "avuncular": (0.5, 0.5, 0.0),
        "grandparent": (0.5, 0.5, 0.0),
        "first-cousin": (0.75, 0.25, 0.0),
        "identical-twin": (0.0, 0.0, 1.0),
    }
)
"""IBD coefficients (k0, k1, k2) of non-inbred relationships (Thompson 1975)."""

_ALIASES = {
    "parent-offspring": "parent-child",
    "full-sibling": "full-sib",
    "full-siblings": "full-sib",
    "sibling": "full-sib",
    "half-sibling": "half-sib",
    "half-siblings": "half-sib",
    "uncle-nephew": "avuncular",
    "aunt-niece": "avuncular",
    "grandparent-grandchild": "grandparent",
    "first-cousins": "first-cousin",
    "monozygotic-twin": "identical-twin",
}

Frequencies = FrequencyTable | Mapping[str, Mapping[str, float]]
Relationship = str | Sequence[float]


def ibd_coefficients(relationship: Relationship) -> tuple[float, float, float]:
    """``(k0, k1, k2)`` of a named relationship, or a checked triple given directly.

    Examples
    --------
    >>> ibd_coefficients("Full sib"), ibd_coefficients("uncle_nephew")
    ((0.25, 0.5, 0.25), (0.5, 0.5, 0.0))
    >>> ibd_coefficients((0.5, 0.25, 0.25))
    (0.5, 0.25, 0.25)
    """
    if isinstance(relationship, str):
        name = relationship.strip().lower().replace("_", "-").replace(" ", "-")
        name = _ALIASES.get(name, name)
        if name not in IBD_COEFFICIENTS:
            raise ValueError(
                f"unknown relationship {relationship!r}; expected one of "
                f"{sorted(IBD_COEFFICIENTS)} or a triple (k0, k1, k2)"
            )
        return IBD_COEFFICIENTS[name]
    k = tuple(float(x) for x in relationship)
    if len(k) != 3 or min(k) < 0.0 or not math.isclose(sum(k), 1.0, abs_tol=1e-9):
        raise ValueError(f"IBD coefficients must be three non-negative numbers summing to 1: {k}")
    return k[0], k[1], k[2]


def _sampler(p: Callable[[str], float], theta: float) -> Callable[[str, Sequence[str]], float]:
    def draw(allele: str, seen: Sequence[str]) -> float:
        copies = sum(1 for s in seen if s == allele)
        return (copies * theta + (1.0 - theta) * p(allele)) / (1.0 + (len(seen) - 1) * theta)

    return draw


def locus_kinship_index(
    a: Genotype,
    b: Genotype,
    k: tuple[float, float, float],
    p: Callable[[str], float],
    *,
    theta: float = 0.0,
) -> float:
    """Per-locus kinship likelihood ratio (formulas in the module docstring).

    Examples
    --------
    Full siblings both homozygous for an allele of frequency 0.8:
    1/4 + 1/2 / 0.8 + 1/4 / 0.64 = (1 + 0.8)**2 / (4 * 0.64).

    >>> round(locus_kinship_index(("A", "A"), ("A", "A"), (0.25, 0.5, 0.25), lambda x: 0.8), 12)
    1.265625
    """
    draw = _sampler(p, theta)
    seen = list(a)
    x, y = b
    if x == y:
        p0 = draw(x, seen) * draw(x, [*seen, x])
        p1 = 0.5 * sum(draw(x, seen) for ai in a if ai == x)
    else:
        p0 = 2.0 * draw(x, seen) * draw(y, [*seen, x])
        p1 = 0.5 * sum((ai == x) * draw(y, seen) + (ai == y) * draw(x, seen) for ai in a)
    p2 = 1.0 if sorted(a) == sorted(b) else 0.0
    k0, k1, k2 = k
    return k0 + (k1 * p1 + k2 * p2) / p0


def kinship_index(
    a: Profile,
    b: Profile,
    relationship: Relationship,
    freqs: Frequencies,
    *,
    theta: float = 0.0,
) -> float:
    """Kinship index of two profiles: LR(relationship vs unrelated), product over loci.

    Parameters
    ----------
    a, b
        Profiles ``{locus: (allele1, allele2)}``; the index is symmetric in them.
    relationship
        ``"parent-child"``, ``"full-sib"``, ``"half-sib"``, ``"avuncular"``,
        ``"grandparent"``, ``"first-cousin"``, ``"identical-twin"``, ``"unrelated"``, or
        IBD coefficients ``(k0, k1, k2)``.
    freqs
        A :class:`FrequencyTable` (its 5/2N minimum applies) or ``{locus: {allele: f}}``.
    theta
        Coancestry coefficient in [0, 1), applied by the Balding-Nichols formula.

    Returns
    -------
    float
        The combined likelihood ratio over loci typed in both and in the table; 0 when a
        locus excludes the relationship (a parent and child sharing no allele).

    Examples
    --------
    ISFG-GHEP 2024 course (Vigeland & Egeland), exercise III-2: father a/b, child a/c,
    p_a = 0.01 gives LR = 1 / (4 p_a) = 25.

    >>> freqs = {"vWA": {"14": 0.01, "15": 0.30, "16": 0.69}}
    >>> kinship_index({"vWA": ("14", "15")}, {"vWA": ("14", "16")}, "parent-child", freqs)
    25.0
    """
    k = ibd_coefficients(relationship)
    theta = check_theta(theta)
    table = as_frequency_table(freqs)
    first, second = canonical_profile(a, who="a"), canonical_profile(b, who="b")
    result = 1.0
    for locus in shared_loci(table, first, second):
        p = frequency_lookup(table, locus)
        result *= locus_kinship_index(first[locus], second[locus], k, p, theta=theta)
    return result
