r"""Read DNA profiles from a laboratory's CSV export, in either of the two usual layouts.

``wide``
    one row per sample, one column per allele: ``Sample,D3S1358,D3S1358,vWA,vWA,...``
    (a locus name repeated) or ``Sample,D3S1358_1,D3S1358_2,...`` (numbered); an empty
    cell is an allele not seen, a locus with no allele is untyped.
``long``
    one row per sample and locus: ``Sample,Marker,Allele 1,Allele 2[,Allele 3...]``.

The layout is detected from the header (a ``Marker`` or ``Locus`` column means ``long``),
and so is the delimiter (comma, semicolon or tab). Optional columns: ``Case`` (case
number) and ``Index``; other columns that are not loci (``pop``, ``Run``) are ignored and
listed. A column for a person's name refuses the whole file: profiles hold no names.

Each row that cannot be stored is reported with its line number and the reason; the good
ones come back as :class:`ParsedProfile`. Pure code: no web, no SQL.

Examples
--------
>>> text = "Sample,D3S1358,D3S1358,vWA,vWA\nS1,15,16,17,17\nS2,15,X,17,18\n"
>>> parsed = parse_profiles(text, index="offender", case_number="2026-0042")
>>> parsed.layout, [(p.specimen_id, p.loci) for p in parsed.profiles]
('wide', [('S1', {'D3S1358': ('15', '16'), 'vWA': ('17', '17')})])
>>> parsed.rejected
[RejectedRow(line=3, specimen_id='S2', reason="locus D3S1358: allele 'X' is not a repeat number")]
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from signalfire.strstats.limits import CsvLimitError, limited_rows
from signalfire.strstats.loci import canonical_locus
from signalfire.strstats.records import (
    DEFAULT_MAX_MIXTURE_ALLELES,
    Loci,
    canonical_index,
    check_specimen_id,
    is_personal_field,
    locus_alleles,
    profile_loci,
)

__all__ = ["ImportFormatError", "ParsedImport", "ParsedProfile", "RejectedRow", "parse_profiles"]

Layout = Literal["wide", "long"]

_SAMPLE_KEYS = ("samplename", "sample", "sampleid", "specimenid", "specimen", "specimenname")
_MARKER_KEYS = frozenset({"marker", "locus", "markername", "locusname"})
_CASE_KEYS = frozenset({"case", "casenumber", "caseno", "casenr", "caseid"})
_INDEX_KEYS = frozenset({"index", "category", "dnaindex", "specimencategory"})
_ALLELE_COLUMN = re.compile(r"allele\d+")
_SEPARATORS = "_.-"


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (no header, no sample column, a name column)."""


@dataclass(frozen=True, slots=True)
class ParsedProfile:
    """A profile ready to store; ``line`` is where it starts in the file."""

    line: int
    specimen_id: str
    case_number: str
    index: str
    loci: Loci


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A line that was not imported, and why."""

    line: int
    specimen_id: str | None
    reason: str


@dataclass(slots=True)
class ParsedImport:
    """What a file held: the profiles to store and the lines refused."""

    layout: Layout
    profiles: list[ParsedProfile] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Options:
    index: str | None
    case_number: str | None
    mixture: bool
    max_alleles: int


@dataclass(slots=True)
class _Header:
    sample: int
    case: int | None = None
    index: int | None = None
    marker: int | None = None
    alleles: list[int] = field(default_factory=list)
    loci: list[tuple[int, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    width: int = 0


@dataclass(slots=True)
class _Sample:
    """A sample of the long layout, gathered line by line."""

    first_line: int
    meta: tuple[str, str] | None = None
    loci: Loci = field(default_factory=dict)
    locus_lines: dict[str, int] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)
    failed: int | None = None


def _key(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.lower())


def _delimiter(first_line: str) -> str:
    return max((",", ";", "\t"), key=first_line.count)


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` of each non-blank row; line numbers count from 1.

    Raises :class:`~signalfire.strstats.limits.CsvLimitError` (an :class:`ImportFormatError`
    to callers) on a file over the CSV limits."""
    text = text.lstrip("\ufeff")
    delimiter = _delimiter(text.partition("\n")[0])
    for start, cells in limited_rows(text, delimiter=delimiter):
        if any(cell.strip() for cell in cells):
            yield start, [cell.strip() for cell in cells]


def _locus_column(name: str) -> str | None:
    for candidate in dict.fromkeys((_stem(name), name)):
        try:
            return canonical_locus(candidate)
        except ValueError:
            continue
    return None


def _is_separator(char: str) -> bool:
    return char.isspace() or char in _SEPARATORS


def _stem(name: str) -> str:
    """``name`` without a numbering suffix (``D3S1358_1``, ``vWA 2``, ``TH01.a``), in one
    pass over it (a regular expression for this backtracks quadratically)."""
    digits = 0
    while digits < min(len(name), 3) and name[len(name) - 1 - digits].isdecimal():
        digits += 1
    suffix = digits if digits in (1, 2) else int(digits == 0 and name[-1:] in ("a", "b"))
    body = name[: len(name) - suffix]
    if not suffix or not body or not _is_separator(body[-1]):
        return name
    end = len(body)
    while end > 1 and _is_separator(body[end - 1]):
        end -= 1
    return body[:end] if end < len(body) else name


def _looks_like_locus(name: str, stems: Counter[str]) -> bool:
    """An unknown column that comes in pairs (``X,X`` or ``X_1,X_2``) is a locus nobody
    knows; a single one (``pop``, ``Run 1``) is something else. ``stems`` counts the
    stems of the header's columns, so each column costs one look-up."""
    return stems[_stem(name)] > 1


def _header(line: int, cells: list[str]) -> _Header:
    keys = [_key(cell) for cell in cells]
    for column, name in enumerate(cells, start=1):
        if is_personal_field(name) and keys[column - 1] not in _SAMPLE_KEYS:
            raise ImportFormatError(
                f"line {line}, column {column}: {name!r} would hold a person's name or "
                "identity; DNA profiles are stored without names: remove the column"
            )
    sample = next((keys.index(k) for k in _SAMPLE_KEYS if k in keys), None)
    if sample is None:
        raise ImportFormatError(f"line {line}: no sample column (Sample, Sample Name, Specimen)")
    header = _Header(sample=sample, width=len(cells))
    stems = Counter(_stem(name) for name in cells)
    for column, (name, key) in enumerate(zip(cells, keys, strict=True)):
        if column != sample:
            _classify(header, line, column, name, key, stems)
    header.ignored = list(dict.fromkeys(header.ignored))
    if header.marker is None and not header.loci:
        raise ImportFormatError(f"line {line}: no locus columns and no Marker column")
    if header.marker is not None and not header.alleles:
        raise ImportFormatError(f"line {line}: a Marker column but no 'Allele 1', 'Allele 2'")
    return header


def _classify(
    header: _Header, line: int, column: int, name: str, key: str, stems: Counter[str]
) -> None:
    if key in _MARKER_KEYS:
        header.marker = column
    elif _ALLELE_COLUMN.fullmatch(key):
        header.alleles.append(column)
    elif key in _CASE_KEYS:
        header.case = column
    elif key in _INDEX_KEYS:
        header.index = column
    elif (locus := _locus_column(name)) is not None:
        header.loci.append((column, locus))
    elif _looks_like_locus(name, stems):
        raise ImportFormatError(f"line {line}, column {column + 1}: unknown locus {name!r}")
    else:
        header.ignored.append(name)


def _cell(cells: list[str], column: int | None) -> str:
    return cells[column] if column is not None and column < len(cells) else ""


def _metadata(cells: list[str], header: _Header, options: _Options) -> tuple[str, str]:
    """``(case number, index)`` of a row: its own columns, else the import's defaults."""
    raw_index = _cell(cells, header.index) or options.index
    if raw_index is None:
        raise ValueError("no index: give an Index column or the import's index")
    case = _cell(cells, header.case) or options.case_number
    if not case:
        raise ValueError("no case number: give a Case column or the import's case")
    if len(case) > 100:
        raise ValueError(f"case number {case[:20]!r}... is longer than 100 characters")
    return case, canonical_index(raw_index)


def _row_width(cells: list[str], header: _Header) -> None:
    if len(cells) > header.width:
        raise ValueError(f"{len(cells)} cells but the header has {header.width} columns")


def _wide_row(
    line: int, cells: list[str], header: _Header, options: _Options
) -> ParsedProfile | RejectedRow:
    specimen = _cell(cells, header.sample) or None
    try:
        if specimen is None:
            raise ValueError("no specimen id")
        specimen = check_specimen_id(specimen)
        _row_width(cells, header)
        case, index = _metadata(cells, header, options)
        raw: dict[str, list[str]] = {}
        for column, locus in header.loci:
            if value := _cell(cells, column):
                raw.setdefault(locus, []).append(value)
        loci = profile_loci(raw, mixture=options.mixture, max_alleles=options.max_alleles)
    except ValueError as error:
        return RejectedRow(line, specimen, str(error))
    return ParsedProfile(line, specimen, case, index, loci)


def _parse_wide(
    rows: Iterator[tuple[int, list[str]]], header: _Header, out: ParsedImport, options: _Options
) -> None:
    first_seen: dict[str, int] = {}
    for line, cells in rows:
        result = _wide_row(line, cells, header, options)
        if isinstance(result, RejectedRow):
            out.rejected.append(result)
        elif result.specimen_id in first_seen:
            first = first_seen[result.specimen_id]
            reason = f"duplicate specimen id (first on line {first})"
            out.rejected.append(RejectedRow(line, result.specimen_id, reason))
        else:
            first_seen[result.specimen_id] = line
            out.profiles.append(result)


def _long_cells(
    cells: list[str], header: _Header, options: _Options
) -> tuple[str, tuple[str, ...], tuple[str, str]]:
    """``(locus, alleles, (case, index))`` of a long-layout line; no alleles: untyped."""
    _row_width(cells, header)
    meta = _metadata(cells, header, options)
    marker = _cell(cells, header.marker)
    if not marker:
        raise ValueError("no marker")
    alleles = [value for column in header.alleles if (value := _cell(cells, column))]
    if not alleles:
        return canonical_locus(marker), (), meta
    locus, canonical = locus_alleles(
        marker, alleles, mixture=options.mixture, max_alleles=options.max_alleles
    )
    return locus, canonical, meta


def _long_line(
    line: int, cells: list[str], header: _Header, options: _Options, samples: dict[str, _Sample]
) -> RejectedRow | None:
    raw_specimen = _cell(cells, header.sample)
    try:
        specimen = check_specimen_id(raw_specimen) if raw_specimen else None
    except ValueError as error:
        return RejectedRow(line, None, str(error))
    if specimen is None:
        return RejectedRow(line, None, "no specimen id")
    sample = samples.setdefault(specimen, _Sample(first_line=line))
    try:
        locus, alleles, meta = _long_cells(cells, header, options)
        if sample.meta is not None and meta != sample.meta:
            raise ValueError(f"case number or index differs from line {sample.lines[0]}")
        if locus in sample.locus_lines:
            first = sample.locus_lines[locus]
            raise ValueError(f"locus {locus} given twice (first on line {first})")
    except ValueError as error:
        sample.failed = sample.failed or line
        return RejectedRow(line, specimen, str(error))
    sample.lines.append(line)
    sample.meta = meta
    sample.locus_lines[locus] = line
    if alleles:
        sample.loci[locus] = alleles
    return None


def _parse_long(
    rows: Iterator[tuple[int, list[str]]], header: _Header, out: ParsedImport, options: _Options
) -> None:
    samples: dict[str, _Sample] = {}
    for line, cells in rows:
        rejected = _long_line(line, cells, header, options, samples)
        if rejected is not None:
            out.rejected.append(rejected)
    for specimen, sample in samples.items():
        if sample.failed is None and sample.meta is not None and sample.loci:
            case, index = sample.meta
            profile = ParsedProfile(sample.first_line, specimen, case, index, sample.loci)
            out.profiles.append(profile)
            continue
        reason = (
            f"not imported: line {sample.failed} of this sample was rejected"
            if sample.failed is not None
            else "no typed locus"
        )
        out.rejected.extend(RejectedRow(line, specimen, reason) for line in sample.lines)


def parse_profiles(
    text: str,
    *,
    index: str | None = None,
    case_number: str | None = None,
    mixture: bool = False,
    max_alleles: int = DEFAULT_MAX_MIXTURE_ALLELES,
) -> ParsedImport:
    """Read the profiles of a CSV export, reporting every line that cannot be stored.

    Parameters
    ----------
    text
        The whole file.
    index, case_number
        For rows without an ``Index`` or ``Case`` column of their own.
    mixture, max_alleles
        Whether the samples are mixtures, and how many alleles a mixture may show.

    Returns
    -------
    ParsedImport
        The profiles in file order, and the rejected lines in line order.

    Raises
    ------
    ImportFormatError
        When the file as a whole cannot be read, or breaks a limit of
        :mod:`signalfire.strstats.limits` (columns, cell length, lines, characters); the
        message names the line and the column.
    """
    rows = _rows(text)
    try:
        first = next(rows, None)
        if first is None:
            raise ImportFormatError("the CSV is empty: expected a header row")
        header = _header(*first)
        options = _Options(index, case_number, mixture, max_alleles)
        out = ParsedImport(layout="long" if header.marker is not None else "wide")
        out.ignored_columns = list(header.ignored)
        if out.layout == "long":
            _parse_long(rows, header, out, options)
        else:
            _parse_wide(rows, header, out, options)
    except CsvLimitError as error:
        raise ImportFormatError(str(error)) from None
    out.rejected.sort(key=lambda row: row.line)
    return out
