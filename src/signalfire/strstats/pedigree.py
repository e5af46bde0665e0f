"""Missing-person likelihood ratio from a reference family pedigree.

The question: is an unidentified profile (the *candidate*) the missing member of a family
whose other members were typed? At each locus

    LR = L(pedigree, references, missing = candidate) / (L(pedigree, references) * P(candidate))

where ``L`` is the pedigree likelihood: founders carry Hardy-Weinberg genotypes, each child
receives one gene from each parent (each parental allele with probability 1/2, through a
mutation matrix when a mutation model is given), and every untyped member is summed out.
The sum is done exactly by variable elimination (the peeling of Elston-Stewart and
Cannings-Thompson-Skolnick, in the order :func:`numpy.einsum` chooses), so pedigrees with
loops or several untyped generations are handled too. No theta correction is applied.

Allele frequencies are the table's (with its 5/2N minimum for rare and unseen alleles).
Without mutation, the alleles nobody carries are lumped into one holding the probability
left over (exact for this model, and the same frequencies :func:`kinship_index` uses, so
the two agree wherever both apply); the frequencies are rescaled to sum to 1 only when
the observed ones exceed 1, or with a mutation model, which needs every allele.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from signalfire.strstats.frequencies import FrequencyTable, as_frequency_table
from signalfire.strstats.mutation import mutation_matrix
from signalfire.strstats.paternity import MutationModel
from signalfire.strstats.profiles import Genotype, Profile, allele_order, canonical_profile

__all__ = [
    "Pedigree",
    "PedigreeInput",
    "as_pedigree",
    "check_pedigree",
    "missing_person_locus_lrs",
    "missing_person_lr",
]

Pedigree = Mapping[str, tuple[str | None, str | None]]
"""``{member: (father, mother)}``; a founder is ``(None, None)``."""

PedigreeInput = Pedigree | Sequence[Mapping[str, str | None]]
"""A :data:`Pedigree`, or a list of ``{"id", "father", "mother", "sex"}`` records."""

Array = npt.NDArray[np.float64]
_LETTERS = string.ascii_letters
_OTHER = "*other*"


def as_pedigree(pedigree: PedigreeInput) -> dict[str, tuple[str | None, str | None]]:
    """``{member: (father, mother)}`` from either pedigree form (``sex`` is not needed for
    autosomal loci, so it is not checked here).

    Examples
    --------
    >>> as_pedigree([{"id": "fa", "father": None, "mother": None, "sex": "male"},
    ...              {"id": "mo", "sex": "female"},
    ...              {"id": "mp", "father": "fa", "mother": "mo", "sex": "female"}])
    {'fa': (None, None), 'mo': (None, None), 'mp': ('fa', 'mo')}
    """
    if isinstance(pedigree, Mapping):
        return {str(m): (parents[0], parents[1]) for m, parents in pedigree.items()}
    out: dict[str, tuple[str | None, str | None]] = {}
    for number, record in enumerate(pedigree, 1):
        member = record.get("id")
        if not member:
            raise ValueError(f"pedigree: member {number} has no id")
        if member in out:
            raise ValueError(f"pedigree: {member!r} appears twice")
        out[member] = (record.get("father"), record.get("mother"))
    return out


def check_pedigree(pedigree: Pedigree) -> list[str]:
    """Members in an order where parents come before their children."""
    for member, parents in pedigree.items():
        if len(parents) != 2 or (parents[0] is None) != (parents[1] is None):
            raise ValueError(f"pedigree: {member!r} needs both parents or none, got {parents!r}")
        for parent in parents:
            if parent is not None and parent not in pedigree:
                raise ValueError(f"pedigree: parent {parent!r} of {member!r} is not a member")
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(pedigree):
        ready = [
            m
            for m, (f, mo) in pedigree.items()
            if m not in placed and (f is None or (f in placed and mo in placed))
        ]
        if not ready:
            raise ValueError("pedigree: a member is their own ancestor")
        order.extend(ready)
        placed.update(ready)
    return order


class _LocusModel:
    """Genotype space, founder prior and gamete probabilities at one locus."""

    def __init__(self, alleles: list[str], freqs: Array, mutation: MutationModel | None) -> None:
        n = len(alleles)
        self.index = {a: i for i, a in enumerate(alleles)}
        self.pairs = [(i, j) for i in range(n) for j in range(i, n)]
        self.prior = np.array([freqs[i] * freqs[j] * (1 if i == j else 2) for i, j in self.pairs])
        m = np.eye(n)
        if mutation is not None:
            m = mutation_matrix(
                alleles,
                mutation.model,
                mutation.rate,
                afreq=list(freqs),
                rate2=mutation.rate2,
                range_=mutation.range_,
            )
        self.gamete = np.array([0.5 * (m[i] + m[j]) for i, j in self.pairs])  # (genotype, allele)
        self.child = np.zeros((n, n, len(self.pairs)))  # (paternal, maternal, genotype)
        for g, (i, j) in enumerate(self.pairs):
            self.child[i, j, g] = self.child[j, i, g] = 1.0

    def observed(self, genotype: Genotype) -> Array:
        i, j = sorted(self.index[a] for a in genotype)
        vector = np.zeros(len(self.pairs))
        vector[self.pairs.index((i, j))] = 1.0
        return vector


def _likelihood(
    model: _LocusModel, order: list[str], pedigree: Pedigree, typed: dict[str, Genotype]
) -> float:
    letters = iter(_LETTERS)
    person = {member: next(letters) for member in order}
    operands: list[Array] = []
    subscripts: list[str] = []
    for member in order:
        father, mother = pedigree[member]
        if father is None or mother is None:
            operands.append(model.prior)
            subscripts.append(person[member])
        else:
            paternal, maternal = next(letters), next(letters)
            operands += [model.gamete, model.gamete, model.child]
            subscripts += [
                person[father] + paternal,
                person[mother] + maternal,
                paternal + maternal + person[member],
            ]
        if member in typed:
            operands.append(model.observed(typed[member]))
            subscripts.append(person[member])
    return float(np.einsum(",".join(subscripts) + "->", *operands, optimize="greedy"))


def _locus_model(
    table: FrequencyTable, locus: str, seen: set[str], mutation: MutationModel | None
) -> _LocusModel:
    alleles = sorted(set(table.alleles(locus)) | seen, key=allele_order)
    freqs = np.array([table.freq(locus, a) for a in alleles])
    if mutation is None:  # lump the alleles nobody carries into the mass left over
        kept = [a for a in alleles if a in seen]
        kept_freqs = [freqs[alleles.index(a)] for a in kept]
        left = 1.0 - sum(kept_freqs)
        if left > 0.0:
            kept.append(_OTHER)
            kept_freqs.append(left)
        alleles, freqs = kept, np.array(kept_freqs)
    return _LocusModel(alleles, freqs / freqs.sum(), mutation)


def missing_person_lr(
    pedigree: PedigreeInput,
    missing: str,
    victim: Profile,
    references: Mapping[str, Profile],
    freqs: FrequencyTable | Mapping[str, Mapping[str, float]],
    *,
    mutation: Mapping[str, object] | None = None,
    theta: float = 0.0,
) -> float:
    """LR that ``victim`` is the pedigree member ``missing`` against an unrelated person.

    Parameters
    ----------
    pedigree
        ``{member: (father, mother)}`` (founders ``(None, None)``) or a list of
        ``{"id", "father", "mother", "sex"}`` records; at most about 15 members.
    missing
        The member the unidentified person may be.
    victim
        The unidentified profile.
    references
        Profiles of typed relatives, by member.
    freqs
        A :class:`FrequencyTable` or ``{locus: {allele: frequency}}``.
    mutation
        As in :func:`~signalfire.strstats.paternity.paternity_index`.
    theta
        Must be 0: founders are unrelated and drawn by Hardy-Weinberg (the default of
        pedprobr and forrel); a coancestry correction of pedigree likelihoods is not
        implemented, and a non-zero value is refused rather than ignored.

    Returns
    -------
    float
        Product over the loci typed in the candidate and present in the table; a locus
        where no relative is typed contributes 1.

    Examples
    --------
    A missing child whose father is typed: the parent-child index 1 / (4 p_a) = 25.

    >>> pedigree = {"father": (None, None), "mother": (None, None),
    ...             "child": ("father", "mother")}
    >>> freqs = {"TH01": {"6": 0.01, "7": 0.30, "8": 0.69}}
    >>> lr = missing_person_lr(pedigree, "child", {"TH01": ("6", "8")},
    ...                        {"father": {"TH01": ("6", "7")}}, freqs)
    >>> round(lr, 9)
    25.0
    """
    if theta != 0.0:
        raise ValueError("theta must be 0 for pedigree likelihoods (not implemented otherwise)")
    lrs = missing_person_locus_lrs(pedigree, missing, victim, references, freqs, mutation=mutation)
    return math.prod(lrs.values())


def missing_person_locus_lrs(
    pedigree: PedigreeInput,
    missing: str,
    victim: Profile,
    references: Mapping[str, Profile],
    freqs: FrequencyTable | Mapping[str, Mapping[str, float]],
    *,
    mutation: Mapping[str, object] | None = None,
) -> dict[str, float]:
    """The factors of :func:`missing_person_lr`, by locus (0 where a locus excludes).

    Examples
    --------
    >>> pedigree = {"fa": (None, None), "mo": (None, None), "mp": ("fa", "mo")}
    >>> freqs = {"TH01": {"6": 0.01, "7": 0.3, "8": 0.69}, "TPOX": {"8": 0.5, "9": 0.5}}
    >>> lrs = missing_person_locus_lrs(pedigree, "mp", {"TH01": ("6", "8"), "TPOX": ("8", "8")},
    ...                                {"fa": {"TH01": ("6", "7"), "TPOX": ("9", "9")}}, freqs)
    >>> {locus: round(lr, 9) for locus, lr in lrs.items()}
    {'TH01': 25.0, 'TPOX': 0.0}
    """
    pedigree = as_pedigree(pedigree)
    order = check_pedigree(pedigree)
    if missing not in pedigree:
        raise ValueError(f"missing person {missing!r} is not in the pedigree")
    if len(order) + 2 * sum(f is not None for f, _ in pedigree.values()) > len(_LETTERS):
        raise ValueError("pedigree too large for missing_person_lr")
    model = None if mutation is None else MutationModel.parse(mutation)
    table = as_frequency_table(freqs)
    refs = {m: canonical_profile(p, who=f"reference {m!r}") for m, p in references.items()}
    if missing in refs or set(refs) - set(pedigree):
        raise ValueError("references must be pedigree members other than the missing person")
    typed_candidate = canonical_profile(victim, who="victim")
    result: dict[str, float] = {}
    for locus in (lo for lo in table.loci if lo in typed_candidate):
        typed = {m: p[locus] for m, p in refs.items() if locus in p}
        seen = {a for g in (*typed.values(), typed_candidate[locus]) for a in g}
        locus_model = _locus_model(table, locus, seen, model)
        without = _likelihood(locus_model, order, pedigree, typed)
        typed[missing] = typed_candidate[locus]
        with_candidate = _likelihood(locus_model, order, pedigree, typed)
        unrelated = float(locus_model.observed(typed_candidate[locus]) @ locus_model.prior)
        result[locus] = with_candidate / (without * unrelated)
    return result
