"""Brute-force reference for pairwise kinship likelihoods, independent of the library.

The library conditions one person on the other (P(b | a)). This reference instead writes
the *joint* probability of both genotypes by enumerating ordered genotypes and every way
their genes can be identical by descent, drawing the distinct genes with the
Balding-Nichols (Polya urn) sampling formula. Both routes must give the same ratio.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence


def urn(genes: Sequence[str], p: Mapping[str, float], theta: float) -> float:
    """Probability of drawing ``genes`` in order from one subpopulation."""
    total = 1.0
    for t, gene in enumerate(genes):
        copies = sum(1 for g in genes[:t] if g == gene)
        total *= (copies * theta + (1 - theta) * p[gene]) / (1 + (t - 1) * theta)
    return total


def orderings(genotype: tuple[str, str]) -> set[tuple[str, str]]:
    x, y = genotype
    return {(x, y), (y, x)}


def joint(
    a: tuple[str, str], b: tuple[str, str], ibd: int, p: Mapping[str, float], theta: float
) -> float:
    """P(a, b) when exactly ``ibd`` of their genes are identical by descent."""
    total = 0.0
    for (a1, a2), (b1, b2) in itertools.product(orderings(a), orderings(b)):
        ga, gb = (a1, a2), (b1, b2)
        if ibd == 0:
            total += urn([a1, a2, b1, b2], p, theta)
        elif ibd == 1:  # one of a's genes is one of b's: four equally likely pairings
            for i, j in itertools.product(range(2), range(2)):
                if ga[i] == gb[j]:
                    total += urn([ga[i], ga[1 - i], gb[1 - j]], p, theta) / 4
        else:  # both genes shared, straight or crossed
            for pairing in ((0, 1), (1, 0)):
                if ga[0] == gb[pairing[0]] and ga[1] == gb[pairing[1]]:
                    total += urn([a1, a2], p, theta) / 2
    return total


def kinship_lr(
    a: tuple[str, str],
    b: tuple[str, str],
    k: Sequence[float],
    p: Mapping[str, float],
    theta: float = 0.0,
) -> float:
    """sum_i k_i P(a, b | i IBD) / P(a, b | unrelated)."""
    related = sum(k[i] * joint(a, b, i, p, theta) for i in range(3))
    return related / joint(a, b, 0, p, theta)
