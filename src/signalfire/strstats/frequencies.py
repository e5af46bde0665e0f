"""Allele frequency tables: built from genotypes, from a mapping, or from a CSV table.

A :class:`FrequencyTable` is immutable. Loci and alleles are stored under their canonical
names (:mod:`signalfire.strstats.loci`). When the sample size ``N`` behind a locus is known,
lookups apply the minimum allele frequency ``5 / (2N)`` recommended by the NRC II report
(National Research Council, *The Evaluation of Forensic DNA Evidence*, 1996, p. 148) to
alleles rarer than that and to alleles never seen in the sample.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from signalfire.strstats.limits import limited_rows
from signalfire.strstats.loci import canonical_allele, canonical_locus

__all__ = ["FrequencyTable", "as_frequency_table", "read_frequency_csv"]

MINIMUM_COUNT = 5
"""NRC II: an allele frequency is at least 5 / (2N), N the individuals in the sample."""


def _check_frequency(value: float, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{where}: frequency must be a number, not {type(value).__name__}")
    value = float(value)
    if not (0.0 <= value <= 1.0) or math.isnan(value):
        raise ValueError(f"{where}: frequency {value!r} is not between 0 and 1")
    return value


def _check_n(value: int, locus: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"locus {locus}: sample size {value!r} is not a positive integer")
    return value


def _canonical_table(
    frequencies: Mapping[str, Mapping[str, float]],
) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for raw_locus, alleles in frequencies.items():
        locus = canonical_locus(raw_locus)
        if locus in table:
            raise ValueError(f"locus {raw_locus!r} appears twice (as {locus})")
        row: dict[str, float] = {}
        for raw_allele, value in alleles.items():
            allele = canonical_allele(raw_allele)
            if allele in row:
                raise ValueError(f"locus {locus}: allele {raw_allele!r} appears twice")
            row[allele] = _check_frequency(value, f"locus {locus}, allele {allele}")
        table[locus] = row
    return table


def _canonical_n(n: int | Mapping[str, int] | None, loci: Iterable[str]) -> dict[str, int]:
    if n is None:
        return {}
    if isinstance(n, Mapping):
        sizes = {canonical_locus(locus): size for locus, size in n.items()}
        known = set(loci)
        extra = sorted(set(sizes) - known)
        if extra:
            raise ValueError(f"sample size given for loci not in the table: {extra}")
        return {locus: _check_n(size, locus) for locus, size in sizes.items()}
    return {locus: _check_n(n, locus) for locus in loci}


class FrequencyTable:
    """Immutable allele frequencies per locus, with the NRC II minimum frequency.

    Parameters
    ----------
    frequencies
        ``{locus: {allele: frequency}}``; names in any spelling, frequencies in [0, 1].
    n
        Sample size in individuals: one number for every locus, a mapping per locus, or
        ``None`` when unknown (then no minimum frequency applies and an unseen allele is
        an error).

    Examples
    --------
    >>> table = FrequencyTable({"TH01": {"6": 0.23, "9.3": 0.30}}, n=100)
    >>> table.freq("THO1", "9.3"), table.minimum("TH01")
    (0.3, 0.025)
    >>> table.freq("TH01", "12")  # unseen: 5 / (2 * 100)
    0.025
    """

    __slots__ = ("_freqs", "_n")

    _freqs: Mapping[str, Mapping[str, float]]
    _n: Mapping[str, int]

    def __init__(
        self,
        frequencies: Mapping[str, Mapping[str, float]],
        n: int | Mapping[str, int] | None = None,
    ) -> None:
        table = _canonical_table(frequencies)
        sizes = _canonical_n(n, table)
        frozen = {locus: MappingProxyType(row) for locus, row in table.items()}
        object.__setattr__(self, "_freqs", MappingProxyType(frozen))
        object.__setattr__(self, "_n", MappingProxyType(sizes))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("FrequencyTable is immutable")

    def __repr__(self) -> str:
        return f"FrequencyTable({len(self._freqs)} loci, n={dict(self._n)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrequencyTable):
            return NotImplemented
        return self.as_dict() == other.as_dict() and dict(self._n) == dict(other._n)

    __hash__ = None  # type: ignore[assignment]  # equal tables may be built differently

    def __contains__(self, locus: object) -> bool:
        return isinstance(locus, str) and locus in self._freqs

    def __iter__(self) -> Iterator[str]:
        return iter(self._freqs)

    def __len__(self) -> int:
        return len(self._freqs)

    @property
    def loci(self) -> tuple[str, ...]:
        """The canonical names of the loci in the table."""
        return tuple(self._freqs)

    @property
    def n(self) -> Mapping[str, int]:
        """Sample size in individuals per locus (only the loci where it is known)."""
        return self._n

    def alleles(self, locus: str) -> Mapping[str, float]:
        """The frequencies listed for a locus, as stored (no minimum applied)."""
        return self._freqs[self._locus(locus)]

    def minimum(self, locus: str) -> float | None:
        """``5 / (2N)`` for the locus, or ``None`` when its sample size is unknown."""
        size = self._n.get(self._locus(locus))
        return None if size is None else MINIMUM_COUNT / (2 * size)

    def freq(self, locus: str, allele: str) -> float:
        """Frequency of an allele, raised to the NRC II minimum where the sample size is known.

        Raises
        ------
        KeyError
            If the locus is not in the table.
        ValueError
            If the allele is not listed and the locus has no sample size for a minimum.
        """
        canonical = self._locus(locus)
        key = canonical_allele(allele)
        floor = self.minimum(canonical)
        listed = self._freqs[canonical].get(key)
        if floor is None:
            if listed is None:
                raise ValueError(
                    f"locus {canonical}: allele {key} is not in the frequency table and the "
                    "table has no sample size to set a minimum frequency"
                )
            return listed
        return floor if listed is None else max(listed, floor)

    def as_dict(self) -> dict[str, dict[str, float]]:
        """A plain-dict copy of the stored frequencies."""
        return {locus: dict(row) for locus, row in self._freqs.items()}

    def _locus(self, locus: str) -> str:
        canonical = canonical_locus(locus)
        if canonical not in self._freqs:
            raise KeyError(f"locus {canonical} is not in the frequency table")
        return canonical

    @classmethod
    def from_mapping(
        cls,
        frequencies: Mapping[str, Mapping[str, float]],
        *,
        n: int | Mapping[str, int] | None = None,
    ) -> FrequencyTable:
        """A table from ``{locus: {allele: frequency}}`` and an optional sample size.

        Examples
        --------
        >>> FrequencyTable.from_mapping({"vwa": {"17": 0.25}}, n={"VWA": 200}).n
        mappingproxy({'vWA': 200})
        """
        return cls(frequencies, n)

    @classmethod
    def from_genotypes(cls, genotypes: Iterable[Mapping[str, tuple[str, str]]]) -> FrequencyTable:
        """Count alleles in a sample of genotypes.

        Each element is one person, ``{locus: (allele1, allele2)}``; a locus left out is
        untyped for that person. The sample size of a locus is the number of people typed
        at it, and each frequency is count / (2N).

        Examples
        --------
        >>> people = [{"TPOX": ("8", "8")}, {"TPOX": ("8", "11")}, {"TPOX": ("11", "12")}]
        >>> table = FrequencyTable.from_genotypes(people)
        >>> dict(table.alleles("TPOX")), table.n["TPOX"]
        ({'8': 0.5, '11': 0.3333333333333333, '12': 0.16666666666666666}, 3)
        """
        counts: dict[str, Counter[str]] = {}
        typed: Counter[str] = Counter()
        for index, person in enumerate(genotypes):
            seen: set[str] = set()
            for raw_locus, pair in person.items():
                locus = canonical_locus(raw_locus)
                if locus in seen:
                    raise ValueError(f"genotype {index}: locus {raw_locus!r} appears twice")
                seen.add(locus)
                if isinstance(pair, str) or len(pair) != 2:
                    raise ValueError(
                        f"genotype {index}, locus {locus}: expected two alleles, got {pair!r}"
                    )
                counts.setdefault(locus, Counter()).update(canonical_allele(a) for a in pair)
                typed[locus] += 1
        frequencies = {
            locus: {allele: c / (2 * typed[locus]) for allele, c in row.items()}
            for locus, row in counts.items()
        }
        return cls(frequencies, dict(typed))


def as_frequency_table(freqs: FrequencyTable | Mapping[str, Mapping[str, float]]) -> FrequencyTable:
    """``freqs`` itself if it is a table, else a table (without sample size) built from it."""
    if isinstance(freqs, FrequencyTable):
        return freqs
    return FrequencyTable.from_mapping(freqs)


_SAMPLE_SIZE_LABELS = frozenset({"N", "2N"})


def _csv_header(rows: list[list[str]]) -> list[str]:
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ValueError("frequency CSV is empty: expected a header row 'Allele,<locus>,...'")
    header = [cell.strip() for cell in rows[0]]
    if header[0].lstrip("\ufeff").strip().lower() != "allele":
        raise ValueError(f"row 1, column 1: expected 'Allele', found {header[0]!r}")
    loci: list[str] = []
    for column, name in enumerate(header[1:], start=2):
        try:
            locus = canonical_locus(name)
        except ValueError as error:
            raise ValueError(f"row 1, column {column}: {error}") from None
        if locus in loci:
            raise ValueError(f"row 1, column {column}: locus {name!r} appears twice")
        loci.append(locus)
    return loci


def _csv_number(cell: str, row: int, locus: str) -> float:
    try:
        return float(cell)
    except ValueError:
        raise ValueError(f"row {row}, column {locus!r}: {cell!r} is not a number") from None


def _csv_sample_size(label: str, value: float, row: int, locus: str) -> int:
    size = value / 2 if label == "2N" else value
    if size != int(size) or size < 1:
        raise ValueError(f"row {row}, column {locus!r}: {label} = {value!r} is not a count")
    return int(size)


def read_frequency_csv(
    text: str, *, n: int | Mapping[str, int] | None = None, delimiter: str = ","
) -> FrequencyTable:
    r"""Read an allele-by-locus frequency table.

    The first column, headed ``Allele``, holds allele designations; every other column is a
    locus (any spelling :func:`~signalfire.strstats.loci.canonical_locus` knows). A blank cell
    means the allele is absent at that locus. An optional row labelled ``N`` (individuals)
    or ``2N`` (alleles) gives the sample size per locus; ``n`` overrides it.

    Raises
    ------
    ValueError
        On any malformed cell, naming its row (its line, 1-based, header included) and
        column; on a file over the limits of :mod:`signalfire.strstats.limits`
        (:class:`~signalfire.strstats.limits.CsvLimitError`).

    Examples
    --------
    >>> text = "Allele,TH01,vWA\n9.3,0.3,\n17,,0.25\nN,100,120\n"
    >>> table = read_frequency_csv(text)
    >>> table.freq("TH01", "9.3"), table.freq("vWA", "17"), dict(table.n)
    (0.3, 0.25, {'TH01': 100, 'vWA': 120})
    >>> read_frequency_csv("Allele,TH01\n9.3,0.3x\n")
    Traceback (most recent call last):
    ...
    ValueError: row 2, column 'TH01': '0.3x' is not a number
    """
    rows = list(limited_rows(text, delimiter=delimiter))
    loci = _csv_header([cells for _line, cells in rows[:1]])
    frequencies: dict[str, dict[str, float]] = {locus: {} for locus in loci}
    sizes: dict[str, int] = {}
    for number, cells in rows[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(loci) + 1:
            raise ValueError(f"row {number}: {len(cells)} cells but {len(loci) + 1} columns")
        label = cells[0].strip()
        is_size = label.upper() in _SAMPLE_SIZE_LABELS
        try:
            allele = "" if is_size else canonical_allele(label)
        except ValueError as error:
            raise ValueError(f"row {number}, column 'Allele': {error}") from None
        for locus, cell in zip(loci, cells[1:], strict=False):
            if not cell.strip():
                continue
            value = _csv_number(cell.strip(), number, locus)
            if is_size:
                sizes[locus] = _csv_sample_size(label.upper(), value, number, locus)
            elif allele in frequencies[locus]:
                raise ValueError(f"row {number}: allele {allele} appears twice for {locus}")
            else:
                frequencies[locus][allele] = _check_frequency(value, f"row {number}, {locus}")
    return FrequencyTable(frequencies, sizes if n is None else n)
