"""Mutation matrices for parent-to-child transmission of STR alleles.

The models and their parameters follow the R package *pedmut* (M. D. Vigeland,
``mutationMatrix()``, CRAN), so a matrix made here equals the one pedmut makes from the
same arguments. Row ``i`` is the allele in the parent, column ``j`` the allele passed on;
every row sums to 1.

``equal``
    ``m[i, i] = 1 - rate``; every other entry ``rate / (n - 1)``.
``proportional``
    ``m[i, j] = a * p[j]`` off the diagonal and ``m[i, i] = 1 - a * (1 - p[i])``, with
    ``a = rate / sum(p * (1 - p))``, so that ``rate`` is the overall mutation rate when
    alleles are drawn from ``p``. Needs ``afreq``.
``stepwise``
    Alleles are repeat numbers, integers or one-decimal microvariants (``9.3``). Alleles
    with the same fractional part form a group. Within a group the mutation probability
    ``rate`` is shared in proportion to ``range_ ** steps``; ``rate2`` is shared equally
    among the alleles of other groups. The diagonal is ``1 - rate - rate2``, or
    ``1 - rate`` when all alleles are in one group, or ``1 - rate2`` when the allele is
    alone in its group.
``onestep``
    Integer alleles only; ``rate`` is shared equally between the one or two neighbours one
    repeat away; an allele without neighbours does not mutate.

(pedmut takes the fractional part of ``x - round(x)``, so with R's round-half-even it would
put ``8.5`` and ``9.5`` in different groups; here they share a group. Fractions of .5 do not
occur in tetra- or pentanucleotide STR nomenclature.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from signalfire.strstats.loci import canonical_allele

__all__ = ["MUTATION_MODELS", "mutation_matrix"]

MUTATION_MODELS = ("equal", "proportional", "stepwise", "onestep")

Matrix = npt.NDArray[np.float64]


def _check_rate(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
    return float(value)


def _tenths(alleles: Sequence[str], model: str) -> list[int]:
    tenths: list[int] = []
    for allele in alleles:
        try:
            value = float(allele)
        except ValueError:
            raise ValueError(f"the {model} model needs numeric alleles, got {allele!r}") from None
        tenths.append(round(value * 10))
    return tenths


def _equal(n: int, rate: float) -> Matrix:
    m = np.full((n, n), rate / (n - 1))
    np.fill_diagonal(m, 1.0 - rate)
    return m


def _proportional(n: int, rate: float, afreq: Sequence[float] | None) -> Matrix:
    if afreq is None:
        raise ValueError("the proportional model needs afreq")
    p = np.asarray(afreq, dtype=np.float64)
    spread = float(np.sum(p * (1.0 - p)))
    if spread <= 0.0:
        raise ValueError("the proportional model needs at least two alleles with frequency > 0")
    alpha = rate / spread
    m = (1.0 - alpha) * np.eye(n) + alpha * np.tile(p, (n, 1))
    if np.any(m < -1e-12) or np.any(m > 1.0 + 1e-12):
        raise ValueError(f"rate {rate} is too high for these frequencies (impossible matrix)")
    return np.clip(m, 0.0, 1.0)


def _stepwise(alleles: Sequence[str], rate: float, rate2: float, range_: float) -> Matrix:
    if rate + rate2 > 1.0:
        raise ValueError(f"rate + rate2 must be at most 1, got {rate + rate2!r}")
    if not range_ > 0.0:
        raise ValueError(f"range_ must be positive, got {range_!r}")
    tenths = np.array(_tenths(alleles, "stepwise"))
    group = tenths % 10
    n = len(alleles)
    m = np.zeros((n, n))
    for i in range(n):
        same = group == group[i]
        others_same, others_cross = int(same.sum()) - 1, n - int(same.sum())
        same[i] = False
        if others_same:
            weights = range_ ** (np.abs(tenths[same] - tenths[i]) / 10.0)
            m[i, same] = rate * weights / weights.sum()
        if others_cross:
            m[i, ~same] = rate2 / others_cross
        m[i, i] = 1.0 - (rate if others_same else 0.0) - (rate2 if others_cross else 0.0)
    return m


def _onestep(alleles: Sequence[str], rate: float) -> Matrix:
    tenths = np.array(_tenths(alleles, "onestep"))
    if np.any(tenths % 10):
        raise ValueError("the onestep model needs integer alleles")
    n = len(alleles)
    m = np.eye(n)
    for i in range(n):
        neighbours = np.abs(tenths - tenths[i]) == 10
        if neighbours.any():
            m[i, i] = 1.0 - rate
            m[i, neighbours] = rate / neighbours.sum()
    return m


def mutation_matrix(
    alleles: Sequence[str],
    model: str,
    rate: float,
    *,
    afreq: Sequence[float] | None = None,
    rate2: float = 0.0,
    range_: float = 0.5,
) -> Matrix:
    """The mutation matrix of a pedmut model over the given alleles.

    Parameters
    ----------
    alleles
        Allele designations, in the order of the rows and columns.
    model
        ``"equal"``, ``"proportional"``, ``"stepwise"`` or ``"onestep"`` (see the module).
    rate
        Mutation rate in [0, 1]; for ``stepwise`` the rate between alleles of one group.
    afreq
        Allele frequencies in the order of ``alleles``, summing to 1 (to 3 decimals, as in
        pedmut); required by ``proportional``.
    rate2
        ``stepwise`` only: the rate between integer alleles and microvariants.
    range_
        ``stepwise`` only: probability of mutating n + 1 steps relative to n steps.

    Returns
    -------
    numpy.ndarray
        Square ``float64`` matrix; ``m[i, j]`` = P(child gets ``alleles[j]`` | parent
        passes on ``alleles[i]``). A single allele gives ``[[1.0]]``.

    Examples
    --------
    pedmut README, ``mutationMatrix("equal", rate = 0.1, alleles = c("a", "b", "c"))``
    (here with repeat numbers as labels):

    >>> mutation_matrix(["1", "2", "3"], "equal", 0.1).round(2).tolist()
    [[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]]
    >>> m = mutation_matrix(["16", "17", "18", "16.1", "17.1"], "stepwise", 0.003,
    ...                     rate2=0.001, range_=0.5)
    >>> m[0].round(7).tolist()
    [0.996, 0.002, 0.001, 0.0005, 0.0005]
    >>> bool(np.allclose(m.sum(axis=1), 1.0))
    True
    """
    names = [canonical_allele(a) for a in alleles]
    if not names:
        raise ValueError("mutation_matrix needs at least one allele")
    if len(set(names)) != len(names):
        raise ValueError(f"alleles repeat: {list(alleles)!r}")
    if model not in MUTATION_MODELS:
        raise ValueError(f"unknown mutation model {model!r}; expected one of {MUTATION_MODELS}")
    rate = _check_rate(rate, "rate")
    rate2 = _check_rate(rate2, "rate2")
    if afreq is not None:
        if len(afreq) != len(names):
            raise ValueError(f"afreq has {len(afreq)} values for {len(names)} alleles")
        if not math.isclose(sum(afreq), 1.0, abs_tol=5e-4):
            raise ValueError(f"afreq must sum to 1, got {sum(afreq)!r}")
    n = len(names)
    if n == 1:
        return np.ones((1, 1))
    if model == "equal":
        return _equal(n, rate)
    if model == "proportional":
        return _proportional(n, rate, afreq)
    if model == "stepwise":
        return _stepwise(names, rate, rate2, range_)
    return _onestep(names, rate)
