"""A columnar index of single-source profiles: fast prefiltering and kinship scans.

Each locus is a column of genotype codes (``uint16``): 0 for an untyped locus, otherwise
the code of an unordered allele pair ``(i, j)``, ``i <= j``, over that locus's allele
vocabulary, ``code = j (j + 1) / 2 + i + 1``. A search turns the query, locus by locus,
into a table of accepted codes (:func:`accepted_codes`, the same rules as
:func:`~signalfire.strstats.search.locus_kind`) and narrows the rows column by column, most
selective locus first, so a 20-locus search over millions of profiles touches one full
column and then a few thousand rows. A kinship scan sums a per-locus table of log
likelihood ratios over every row.

The index is a prefilter: it returns every profile that *can* pass, and the pure
:func:`~signalfire.strstats.search.search` decides and ranks. Profiles it cannot code (mixtures,
loci with more than two alleles) are kept aside and always returned as candidates.
Pure code (numpy).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.kinship import Relationship, ibd_coefficients, locus_kinship_index
from signalfire.strstats.profiles import Genotype, allele_order, frequency_lookup
from signalfire.strstats.search import DEFAULT_MIN_LOCI, STRINGENCIES, SearchProfile, Stringency

__all__ = ["KinshipHit", "ProfileIndex", "accepted_codes", "genotype_code"]

Codes = npt.NDArray[np.uint16]
MAX_ALLELES: Final = 255  # codes of 255 alleles fill a uint16


def genotype_code(i: int, j: int) -> int:
    """The code of the unordered allele pair ``(i, j)`` (vocabulary positions).

    Examples
    --------
    >>> [genotype_code(0, 0), genotype_code(0, 1), genotype_code(1, 1), genotype_code(2, 0)]
    [1, 2, 3, 4]
    """
    low, high = min(i, j), max(i, j)
    return high * (high + 1) // 2 + low + 1


def _code_pairs(n: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Vocabulary positions ``(first, second)`` of every code ``0..n(n+1)/2`` (code 0: -1)."""
    high = np.concatenate([[-1], np.repeat(np.arange(n), np.arange(1, n + 1))])
    low = np.concatenate([[-1], np.concatenate([np.arange(j + 1) for j in range(n)])])
    return low.astype(np.int32), high.astype(np.int32)


def _recoding(names: Sequence[str], vocabulary: Sequence[str]) -> Codes | None:
    """The table from codes over ``names`` to codes over ``vocabulary`` (which holds every
    allele those codes use), or ``None`` when the two are the same."""
    if list(names) == list(vocabulary):
        return None
    position = {allele: i for i, allele in enumerate(vocabulary)}
    moved = np.array([position.get(name, 0) for name in names] + [0], dtype=np.int64)
    first, second = _code_pairs(len(names))  # -1 (code 0) picks the padding above
    low = np.minimum(moved[first], moved[second])
    high = np.maximum(moved[first], moved[second])
    table = high * (high + 1) // 2 + low + 1
    table[0] = 0
    recoding: Codes = table.astype(np.uint16)
    return recoding


Keys = npt.NDArray[np.int64]
Counts = npt.NDArray[np.int64]


def _ascending(keys: Keys) -> bool:
    return keys.size < 2 or bool(np.all(keys[1:] > keys[:-1]))


def _among(keys: Keys, wanted: Keys) -> npt.NDArray[np.bool_]:
    """Which of ``keys`` are in ``wanted``: a binary search per wanted key when ``keys``
    ascend (as :meth:`ProfileIndex.changed` leaves them), else :func:`numpy.isin`."""
    if wanted.size == 0 or not _ascending(keys):
        return np.isin(keys, wanted)
    at = np.searchsorted(keys, wanted)
    inside = at < keys.size
    at, wanted = at[inside], wanted[inside]
    mask = np.zeros(keys.size, dtype=bool)
    mask[at[keys[at] == wanted]] = True
    return mask


@dataclass(frozen=True, slots=True)
class _Rows:
    """The rows of an index that a merge keeps: all, or those ``keep`` marks."""

    index: ProfileIndex
    keep: npt.NDArray[np.bool_] | None = None
    dropped: npt.NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, np.intp))

    @property
    def size(self) -> int:
        return int(self.index.keys.size - self.dropped.size)

    def locus(self, locus: str) -> tuple[list[str], Codes, Counts] | None:
        """Alleles, kept column and code counts at ``locus`` (``None``: never typed)."""
        if locus not in self.index.alleles:
            return None
        row = self.index.loci.index(locus)
        column, counts = self.index.codes[row], self.index._column_counts(row)
        if self.keep is None:
            return self.index.alleles[locus], column, counts
        gone = np.bincount(column[self.dropped], minlength=counts.size)
        return self.index.alleles[locus], column[self.keep], counts - gone


def _merged(locus: str, sides: Sequence[_Rows], out: Codes) -> tuple[list[str], Counts] | None:
    """Write the column of ``locus`` over the rows of every side, end to end, into
    ``out``, coded over the alleles they hold there; those alleles and the counts of each
    code (``None`` when no row is typed there). Counts come from the sides' counts, with
    no pass over the rows."""
    parts = [(side, side.locus(locus)) for side in sides]
    seen: set[str] = set()
    for _, part in parts:
        if part is not None:
            names, _, counts = part
            first, second = _code_pairs(len(names))
            used = np.flatnonzero(counts[1:]) + 1
            seen.update(names[i] for i in np.union1d(first[used], second[used]))
    if not seen:
        return None
    if len(seen) > MAX_ALLELES:
        raise ValueError(f"more than {MAX_ALLELES} alleles at {locus}")
    vocabulary = sorted(seen, key=allele_order)
    merged = np.zeros(len(vocabulary) * (len(vocabulary) + 1) // 2 + 1, dtype=np.int64)
    columns: list[Codes] = []
    for side, part in parts:
        if part is None:
            columns.append(np.zeros(side.size, dtype=np.uint16))
            merged[0] += side.size
            continue
        names, column, counts = part
        table = _recoding(names, vocabulary)
        columns.append(column if table is None else table[column])
        if table is None:
            merged += counts
        else:
            np.add.at(merged, table, counts)
    np.concatenate(columns, out=out)
    return vocabulary, merged


def accepted_codes(
    alleles: Sequence[str], query: frozenset[str], *, mixture: bool, stringency: Stringency
) -> npt.NDArray[np.bool_]:
    """Which genotype codes of a single-source candidate pass against ``query`` at one locus.

    Index 0 (untyped) is accepted except at ``exact`` stringency, where the candidate must
    be typed wherever the query is.

    Examples
    --------
    >>> vocab = ["8", "9", "10"]  # codes: 1 8/8, 2 8/9, 3 9/9, 4 8/10, 5 9/10, 6 10/10
    >>> accepted_codes(vocab, frozenset({"8", "9"}), mixture=False, stringency="high")[1:]
    array([False,  True, False, False, False, False])
    >>> accepted_codes(vocab, frozenset({"8", "9"}), mixture=False, stringency="moderate")[1:]
    array([ True,  True,  True, False, False, False])
    >>> accepted_codes(vocab, frozenset({"8"}), mixture=False, stringency="moderate")[1:]
    array([ True,  True, False,  True, False, False])
    """
    if stringency not in STRINGENCIES:
        raise ValueError(f"unknown stringency {stringency!r}; expected one of {STRINGENCIES}")
    first, second = _code_pairs(len(alleles))
    position = {allele: i for i, allele in enumerate(alleles)}
    known = sorted(position[a] for a in query if a in position)
    in_query = np.zeros(len(alleles) + 1, dtype=bool)  # position -1 (code 0) stays False
    in_query[known] = True
    contains = in_query[first] & in_query[second]  # the candidate's alleles are all in query
    if len(known) != len(query) or len(query) > 2:
        identical = np.zeros_like(contains)
        within = np.zeros_like(contains)
    elif len(known) == 1:
        identical = (first == known[0]) & (second == known[0])
        within = (first == known[0]) | (second == known[0])
    else:
        identical = (first == known[0]) & (second == known[1])
        within = identical
    if stringency in ("exact", "high"):
        accepted = identical
    elif stringency == "moderate":
        accepted = identical | contains | (within & (not mixture))
    else:
        accepted = in_query[first] | in_query[second]
    accepted[0] = stringency != "exact"
    return accepted


@dataclass(frozen=True, slots=True)
class KinshipHit:
    """A profile of a kinship scan and its likelihood ratio (``log10_lr`` when huge)."""

    key: int
    log10_lr: float

    @property
    def lr(self) -> float:
        """The likelihood ratio (``inf`` beyond a float's range)."""
        return math.inf if self.log10_lr > 308 else float(10.0**self.log10_lr)


@dataclass
class ProfileIndex:
    """Genotype-code columns of single-source profiles, plus the keys of all others.

    Examples
    --------
    >>> index = ProfileIndex.build([
    ...     SearchProfile(1, "a", {"TH01": ("6", "9.3"), "TPOX": ("8", "8")}),
    ...     SearchProfile(2, "b", {"TH01": ("6", "9.3"), "TPOX": ("8", "11")}),
    ...     SearchProfile(3, "m", {"TH01": ("6", "7", "9.3")}, mixture=True)])
    >>> q = SearchProfile(None, "q", {"TH01": ("6", "9.3"), "TPOX": ("8", "8")})
    >>> index.prefilter(q, stringency="high", min_loci=2).tolist()
    [1, 3]
    >>> index.prefilter(q, stringency="moderate", min_loci=2).tolist()
    [1, 2, 3]
    """

    loci: tuple[str, ...]
    alleles: dict[str, list[str]]
    codes: Codes  # (loci, rows)
    keys: npt.NDArray[np.int64]
    others: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    _counts: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict, repr=False)
    _packed: list[tuple[tuple[int, ...], Codes]] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, profiles: Iterable[SearchProfile]) -> ProfileIndex:
        """Index ``profiles`` (keys must be integers)."""
        coded: list[tuple[int, dict[str, tuple[str, str]]]] = []
        others: list[int] = []
        vocab: dict[str, set[str]] = {}
        for profile in profiles:
            if profile.key is None:
                raise ValueError(f"profile {profile.specimen_id!r} has no key")
            pairs = {
                locus: (alleles[0], alleles[-1])
                for locus, alleles in profile.loci.items()
                if locus in profile.compared and alleles
            }
            if profile.mixture or any(len(set(profile.loci[lo])) > 2 for lo in pairs):
                others.append(profile.key)
                continue
            coded.append((profile.key, pairs))
            for locus, pair in pairs.items():
                vocab.setdefault(locus, set()).update(pair)
        alleles = {locus: sorted(seen, key=allele_order) for locus, seen in vocab.items()}
        too_many = [locus for locus, names in alleles.items() if len(names) > MAX_ALLELES]
        if too_many:
            raise ValueError(f"more than {MAX_ALLELES} alleles at {', '.join(too_many)}")
        loci = tuple(sorted(alleles))
        codes = np.zeros((len(loci), len(coded)), dtype=np.uint16)
        for row, locus in enumerate(loci):
            position = {allele: i for i, allele in enumerate(alleles[locus])}
            codes[row] = [
                genotype_code(position[pair[0]], position[pair[1]]) if pair else 0
                for pair in (p.get(locus) for _, p in coded)
            ]
        keys = np.array([key for key, _ in coded], dtype=np.int64)
        return cls(loci, alleles, codes, keys, np.array(others, dtype=np.int64))

    def changed(
        self, added: Iterable[SearchProfile] = (), removed: Iterable[int] = ()
    ) -> ProfileIndex:
        """A new index without the profiles keyed ``removed`` and with ``added``.

        The result equals :meth:`build` over the resulting profiles in ascending key order
        (the same loci, allele vocabularies, codes, keys and others), so every prefilter and
        kinship scan answers as a rebuild would; it costs a few numpy passes over the
        columns instead of coding every profile again. Keys in ``removed`` that are not
        indexed are ignored; an added key must not stay indexed (remove it in the same call
        to replace a profile). ``self`` is left as it is.

        Examples
        --------
        >>> a = SearchProfile(1, "a", {"TH01": ("6", "9.3")})
        >>> b = SearchProfile(2, "b", {"TH01": ("7", "7"), "TPOX": ("8", "8")})
        >>> index = ProfileIndex.build([a]).changed(added=[b])
        >>> index.loci, index.alleles["TH01"], index.keys.tolist()
        (('TH01', 'TPOX'), ['6', '7', '9.3'], [1, 2])
        >>> smaller = index.changed(removed=[1])
        >>> smaller.alleles, smaller.codes.tolist(), smaller.keys.tolist()
        ({'TH01': ['7'], 'TPOX': ['8']}, [[1], [1]], [2])
        """
        gone = np.fromiter(removed, dtype=np.int64)
        fresh = ProfileIndex.build(added)
        keep = ~_among(self.keys, gone)
        others = self.others[~_among(self.others, gone)]
        kept = self.keys[keep]
        keys = np.concatenate([kept, fresh.keys])
        new = np.concatenate([fresh.keys, fresh.others])
        if np.unique(new).size != new.size or _among(kept, new).any() or np.isin(others, new).any():
            raise ValueError("an added profile's key is indexed already; remove it first")
        others = np.sort(np.concatenate([others, fresh.others]))
        dropped = np.flatnonzero(~keep)
        sides = [_Rows(self, keep if dropped.size else None, dropped), _Rows(fresh)]
        loci = sorted(set(self.loci) | set(fresh.loci))
        codes = np.empty((len(loci), keys.size), dtype=np.uint16)
        alleles: dict[str, list[str]] = {}
        counts: dict[str, Counts] = {}
        for locus in loci:
            merged = _merged(locus, sides, codes[len(alleles)])
            if merged is not None:  # else every profile typed there was removed
                alleles[locus], counts[locus] = merged
        if len(alleles) < len(loci):
            codes = codes[: len(alleles)].copy()
        if not _ascending(keys):
            order = np.argsort(keys, kind="stable")
            keys, codes = keys[order], codes[:, order]
        return ProfileIndex(tuple(alleles), alleles, codes, keys, others, counts)

    def __len__(self) -> int:
        return int(self.keys.size + self.others.size)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return int(self.codes.nbytes + self.keys.nbytes + self.others.nbytes)

    def _column_counts(self, row: int) -> npt.NDArray[np.int64]:
        locus = self.loci[row]
        if locus not in self._counts:
            self._counts[locus] = np.bincount(self.codes[row], minlength=self.code_count(row))
        return self._counts[locus]

    def _first_rows(self, row: int, accepted: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
        """Rows of one full column with an accepted code: a few equality tests when few
        codes present are accepted (high stringency), else a table lookup per row."""
        column = self.codes[row]
        present = np.flatnonzero(accepted & (self._column_counts(row) > 0))
        if present.size > 3:
            return np.flatnonzero(accepted[column])
        mask = np.zeros(column.size, dtype=bool)
        for code in present:
            mask |= column == code
        return np.flatnonzero(mask)

    def kinship_columns(self) -> list[tuple[tuple[int, ...], Codes]]:
        """Columns of two loci each where their codes fit one ``uint16`` together (made
        once): a kinship scan then does half as many lookups over the rows."""
        if self._packed is None:
            sizes = {row: self.code_count(row) for row in range(len(self.loci))}
            waiting = sorted(sizes, key=sizes.__getitem__)
            packed: list[tuple[tuple[int, ...], Codes]] = []
            while waiting:
                first = waiting.pop(0)
                partner = next(
                    (r for r in reversed(waiting) if sizes[first] * sizes[r] <= 1 << 16), None
                )
                if partner is None:
                    packed.append(((first,), self.codes[first]))
                    continue
                waiting.remove(partner)
                combined = self.codes[first].astype(np.uint32) * sizes[partner]
                combined += self.codes[partner]
                packed.append(((first, partner), combined.astype(np.uint16)))
            self._packed = packed
        return self._packed

    def prefilter(
        self,
        query: SearchProfile,
        *,
        stringency: Stringency = "high",
        min_loci: int = DEFAULT_MIN_LOCI,
    ) -> npt.NDArray[np.int64]:
        """Keys of every indexed profile that may match ``query`` (a superset of the hits).

        Rows are narrowed locus by locus, the locus accepting the fewest rows first.
        """
        tables: list[tuple[int, int, npt.NDArray[np.bool_]]] = []
        position = {locus: row for row, locus in enumerate(self.loci)}
        for locus in query.compared:
            if locus not in position:
                if stringency == "exact":  # no indexed profile is typed there
                    return self.others.copy()
                continue
            row = position[locus]
            accepted = accepted_codes(
                self.alleles[locus],
                query.sets[locus],
                mixture=query.mixture,
                stringency=stringency,
            )
            passing = int(self._column_counts(row)[accepted].sum())
            tables.append((passing, row, accepted))
        tables.sort(key=lambda item: item[0])
        rows: npt.NDArray[np.intp] = np.arange(self.keys.size)
        for step, (_, row, accepted) in enumerate(tables):
            column = self.codes[row]
            rows = self._first_rows(row, accepted) if step == 0 else rows[accepted[column[rows]]]
            if rows.size == 0:
                break
        if rows.size and tables:
            compared = np.array([row for _, row, _ in tables], dtype=np.intp)
            typed = self.codes[np.ix_(compared, rows)] != 0
            shared = typed.sum(axis=0)
            rows = rows[shared >= min_loci]
        elif min_loci > 0:
            rows = rows[:0]
        return np.concatenate([self.keys[rows], self.others])

    def kinship_scan(
        self,
        profile: Mapping[str, Genotype],
        relationship: Relationship,
        table: FrequencyTable,
        *,
        theta: float = 0.0,
        top: int = 100,
        exclude: Iterable[int] = (),
    ) -> list[KinshipHit]:
        """The ``top`` indexed profiles by kinship index with ``profile``, highest first.

        Profiles the relationship excludes (LR 0 at a locus) are never returned.

        ``profile`` holds canonical genotypes; loci untyped on either side or missing from
        ``table`` add nothing, as in :func:`~signalfire.strstats.kinship.kinship_index`.
        """
        k = ibd_coefficients(relationship)
        logs: dict[int, npt.NDArray[np.float64]] = {
            row: self._locus_log_lr(locus, profile[locus], k, table, theta)
            for row, locus in enumerate(self.loci)
            if locus in profile and locus in table
        }
        scores = np.zeros(self.keys.size, dtype=np.float32)
        for rows, column in self.kinship_columns():
            if not any(row in logs for row in rows):
                continue
            parts = [logs.get(row, np.zeros(self.code_count(row))) for row in rows]
            lookup = parts[0] if len(parts) == 1 else np.add.outer(parts[0], parts[1]).ravel()
            scores += lookup.astype(np.float32)[column]
        excluded = np.isin(self.keys, np.fromiter(exclude, dtype=np.int64))
        scores[excluded] = -np.inf
        count = min(top, int(np.count_nonzero(~excluded)))
        if count <= 0:
            return []
        best = np.argpartition(-scores, count - 1)[:count]
        exact = np.zeros(best.size)  # the float64 sum for the rows returned
        for row, log_lr in logs.items():
            exact += log_lr[self.codes[row, best]]
        order = np.lexsort((self.keys[best], -exact))
        return [
            KinshipHit(int(self.keys[best[i]]), float(exact[i]) / math.log(10))
            for i in order
            if exact[i] > -np.inf  # an exclusion (LR 0) is no lead
        ]

    def code_count(self, row: int) -> int:
        """How many genotype codes column ``row`` can hold, 0 (untyped) included."""
        names = self.alleles[self.loci[row]]
        return len(names) * (len(names) + 1) // 2 + 1

    def _locus_log_lr(
        self,
        locus: str,
        genotype: Genotype,
        k: tuple[float, float, float],
        table: FrequencyTable,
        theta: float,
    ) -> npt.NDArray[np.float64]:
        """Natural log of the locus kinship index for every code (0 for untyped)."""
        names = self.alleles[locus]
        first, second = _code_pairs(len(names))
        p = frequency_lookup(table, locus)
        values = np.zeros(first.size)
        with np.errstate(divide="ignore"):
            for code in range(1, first.size):
                pair = (names[first[code]], names[second[code]])
                values[code] = np.log(locus_kinship_index(genotype, pair, k, p, theta=theta))
        return values
