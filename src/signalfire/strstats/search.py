"""Database search over profiles in memory: CODIS-style stringency, ranked by likelihood ratio.

At each locus typed in both profiles (Amelogenin is kept but never compared), the alleles
of the query ``Q`` and of a candidate ``C`` match

``identical``
    when ``Q`` and ``C`` hold the same alleles;
``included``
    when all alleles of one are present in the other (a partial profile, a mixture): a
    single-source query must lie within a mixture candidate, and a mixture query must
    contain a single-source candidate; two profiles of the same kind may go either way;
``shared``
    when they have at least one allele in common.

A search's stringency sets the weakest kind it accepts at *every* shared locus: ``high``
(identical), ``moderate`` (included), ``low`` (shared); ``exact`` asks for identical
alleles at the same set of typed loci, Amelogenin included. A candidate must also share at
least ``min_loci`` compared loci with the query (default 10).

Candidates are ranked by the likelihood ratio over the shared loci in the frequency table,
``LR = 1 / P``, with ``P`` per locus:

- identical single-source genotypes: the genotype's match probability (``p**2`` or
  ``2pq``; with ``theta``, NRC II eq. 4.10);
- identical or included, a mixture or a partial profile involved: the probability that a
  random person is included in the larger allele set ``S``, ``(sum of p over S)**2``
  (the combined probability of inclusion, CPI; SWGDAM 2017 interpretation guidelines);
- shared: the probability that a random person has an allele of the shared set ``I``,
  ``1 - (1 - sum of p over I)**2`` (a ranking statistic for leads, not an identity LR).

Loci missing from the table are compared but add nothing to the LR. Pure code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.profiles import allele_frequency
from signalfire.strstats.records import SEX_LOCI, Alleles
from signalfire.strstats.stats import genotype_match_probability

__all__ = [
    "DEFAULT_MIN_LOCI",
    "STRINGENCIES",
    "Hit",
    "LocusMatch",
    "MatchKind",
    "SearchProfile",
    "Stringency",
    "locus_kind",
    "locus_lr",
    "search",
]

Stringency = Literal["exact", "high", "moderate", "low"]
STRINGENCIES: Final = ("exact", "high", "moderate", "low")
MatchKind = Literal["identical", "included", "shared"]
DEFAULT_MIN_LOCI: Final = 10

_ACCEPTS: Final[dict[str, frozenset[str]]] = {
    "exact": frozenset({"identical"}),
    "high": frozenset({"identical"}),
    "moderate": frozenset({"identical", "included"}),
    "low": frozenset({"identical", "included", "shared"}),
}


class SearchProfile:
    """A profile as the search sees it: its key, kind and alleles, with sets made once.

    Examples
    --------
    >>> p = SearchProfile(7, "S7", {"TH01": ("6", "6"), "AMEL": ("X", "Y")})
    >>> p.compared, p.sets["TH01"]
    (('TH01',), frozenset({'6'}))
    """

    __slots__ = ("compared", "key", "loci", "mixture", "sets", "specimen_id")

    def __init__(
        self,
        key: int | None,
        specimen_id: str,
        loci: Mapping[str, Sequence[str]],
        *,
        mixture: bool = False,
    ) -> None:
        self.key = key
        self.specimen_id = specimen_id
        self.mixture = mixture
        self.loci: dict[str, Alleles] = {locus: tuple(a) for locus, a in loci.items()}
        self.sets = {locus: frozenset(alleles) for locus, alleles in self.loci.items()}
        self.compared = tuple(locus for locus in self.loci if locus not in SEX_LOCI)

    def __repr__(self) -> str:
        return f"SearchProfile({self.key!r}, {self.specimen_id!r}, {len(self.loci)} loci)"


@dataclass(frozen=True, slots=True)
class LocusMatch:
    """One shared locus of a hit: both allele lists, the kind of match, its LR."""

    locus: str
    query: Alleles
    candidate: Alleles
    kind: MatchKind
    lr: float | None


@dataclass(frozen=True, slots=True)
class Hit:
    """A candidate that passed: the locus breakdown and the LR over it."""

    profile: SearchProfile
    loci: tuple[LocusMatch, ...]
    log10_lr: float | None

    @property
    def shared_loci(self) -> int:
        """How many loci were compared."""
        return len(self.loci)

    @property
    def lr(self) -> float | None:
        """The likelihood ratio, or ``None`` without a table or beyond a float's range."""
        if self.log10_lr is None or self.log10_lr > 300:
            return None
        return float(10.0**self.log10_lr)


def locus_kind(
    query: frozenset[str],
    candidate: frozenset[str],
    *,
    query_mixture: bool = False,
    candidate_mixture: bool = False,
) -> MatchKind | None:
    """How the allele sets at one locus match, or ``None`` if they share no allele.

    Examples
    --------
    >>> A, AB, ABC = frozenset("a"), frozenset("ab"), frozenset("abc")
    >>> locus_kind(AB, AB), locus_kind(A, AB), locus_kind(AB, frozenset("bc"))
    ('identical', 'included', 'shared')
    >>> locus_kind(AB, ABC, candidate_mixture=True), locus_kind(AB, A, candidate_mixture=True)
    ('included', 'shared')
    """
    if query == candidate:
        return "identical"
    within = query <= candidate
    contains = candidate <= query
    if query_mixture == candidate_mixture:
        included = within or contains
    else:
        included = within if candidate_mixture else contains
    if included:
        return "included"
    return "shared" if query & candidate else None


def _compare(
    query: SearchProfile, candidate: SearchProfile, accepts: frozenset[str]
) -> list[tuple[str, MatchKind]] | None:
    kinds: list[tuple[str, MatchKind]] = []
    sets = candidate.sets
    for locus in query.compared:
        theirs = sets.get(locus)
        if theirs is None:
            continue
        kind = locus_kind(
            query.sets[locus],
            theirs,
            query_mixture=query.mixture,
            candidate_mixture=candidate.mixture,
        )
        if kind is None or kind not in accepts:
            return None
        kinds.append((locus, kind))
    return kinds


def _sum(table: FrequencyTable, locus: str, alleles: Iterable[str]) -> float:
    return min(1.0, sum(allele_frequency(table, locus, allele) for allele in alleles))


def locus_lr(
    locus: str,
    kind: MatchKind,
    query: SearchProfile,
    candidate: SearchProfile,
    table: FrequencyTable,
    *,
    theta: float = 0.0,
) -> float | None:
    """The per-locus likelihood ratio of a match (see the module text), ``None`` off-table.

    Raises
    ------
    ValueError
        If an allele is not in the table and the table has no sample size for a minimum.

    Examples
    --------
    >>> table = FrequencyTable({"TH01": {"6": 0.2, "9.3": 0.3, "7": 0.1}})
    >>> q = SearchProfile(None, "q", {"TH01": ("6", "9.3")})
    >>> mix = SearchProfile(1, "m", {"TH01": ("6", "7", "9.3")}, mixture=True)
    >>> round(locus_lr("TH01", "identical", q, q, table), 6)  # 1 / (2 * 0.2 * 0.3)
    8.333333
    >>> round(locus_lr("TH01", "included", q, mix, table), 6)  # 1 / (0.2 + 0.3 + 0.1)**2
    2.777778
    """
    if locus not in table:
        return None
    ours, theirs = query.sets[locus], candidate.sets[locus]
    if kind == "shared":
        return 1.0 / (1.0 - (1.0 - _sum(table, locus, ours & theirs)) ** 2)
    if kind == "identical" and not query.mixture and not candidate.mixture:
        first, second = query.loci[locus]
        p = allele_frequency(table, locus, first)
        q = None if first == second else allele_frequency(table, locus, second)
        formula = "nrc4.10" if theta > 0 else "product"
        return 1.0 / genotype_match_probability(p, q, theta=theta, formula=formula)
    return 1.0 / _sum(table, locus, ours | theirs) ** 2


def _hit(
    query: SearchProfile,
    candidate: SearchProfile,
    kinds: list[tuple[str, MatchKind]],
    table: FrequencyTable | None,
    theta: float,
) -> Hit:
    loci = tuple(
        LocusMatch(
            locus,
            query.loci[locus],
            candidate.loci[locus],
            kind,
            None if table is None else locus_lr(locus, kind, query, candidate, table, theta=theta),
        )
        for locus, kind in kinds
    )
    log10 = None if table is None else sum(math.log10(m.lr) for m in loci if m.lr is not None)
    return Hit(candidate, loci, log10)


def _rank(hit: Hit) -> tuple[float, int, str]:
    log10 = -math.inf if hit.log10_lr is None else hit.log10_lr
    return (-log10, -hit.shared_loci, hit.profile.specimen_id)


def search(
    query: SearchProfile,
    candidates: Iterable[SearchProfile],
    *,
    stringency: Stringency = "high",
    min_loci: int = DEFAULT_MIN_LOCI,
    table: FrequencyTable | None = None,
    theta: float = 0.0,
    limit: int | None = None,
) -> list[Hit]:
    """The candidates that match ``query``, best first.

    Parameters
    ----------
    query
        The profile searched for.
    candidates
        The profiles searched.
    stringency
        ``"exact"``, ``"high"``, ``"moderate"`` or ``"low"`` (module text).
    min_loci
        Compared loci a candidate must share with the query.
    table
        Allele frequencies for the LR; without one, hits are ranked by shared loci.
    theta
        Coancestry coefficient for identical single-source genotypes (NRC II 4.10).
    limit
        Return at most this many hits.

    Returns
    -------
    list[Hit]
        By LR (highest first), then shared loci, then specimen id.

    Examples
    --------
    >>> q = SearchProfile(None, "q", {"TH01": ("6", "9.3"), "TPOX": ("8", "8")})
    >>> db = [SearchProfile(1, "a", {"TH01": ("6", "9.3"), "TPOX": ("8", "8")}),
    ...       SearchProfile(2, "b", {"TH01": ("6", "9.3"), "TPOX": ("8", "11")})]
    >>> [h.profile.specimen_id for h in search(q, db, min_loci=2)]
    ['a']
    >>> [h.profile.specimen_id for h in search(q, db, stringency="moderate", min_loci=2)]
    ['a', 'b']
    """
    if stringency not in _ACCEPTS:
        raise ValueError(f"unknown stringency {stringency!r}; expected one of {STRINGENCIES}")
    if min_loci < 1:
        raise ValueError(f"min_loci must be at least 1, got {min_loci}")
    accepts = _ACCEPTS[stringency]
    hits: list[Hit] = []
    for candidate in candidates:
        if stringency == "exact" and candidate.sets != query.sets:
            continue
        kinds = _compare(query, candidate, accepts)
        if kinds is not None and len(kinds) >= min_loci:
            hits.append(_hit(query, candidate, kinds, table, theta))
    hits.sort(key=_rank)
    return hits if limit is None else hits[:limit]
