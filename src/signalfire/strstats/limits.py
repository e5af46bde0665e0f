"""How large a DNA upload may be: the limits of the CSV imports, in one place.

A laboratory export is small and regular: one column per allele of some 20-30 loci
(a mixture kit at :data:`~signalfire.strstats.records.MAX_MIXTURE_ALLELES` alleles a locus
stays under 250 columns), short cells, at most some tens of thousands of lines. The
limits below are generous for such files and refuse the rest before any work is done on
them, with a message that names the limit. They apply to every way in (API, CLI); the
API's body limit (``api.max_body_bytes``, 413) comes on top. Pure code: no web, no SQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Final

__all__ = [
    "MAX_CSV_CHARS",
    "MAX_CSV_COLUMNS",
    "MAX_CSV_FIELD_CHARS",
    "MAX_CSV_ROWS",
    "CsvLimitError",
    "limited_rows",
]

MAX_CSV_COLUMNS: Final = 400
"""Cells of one CSV line (profiles or frequencies): 29 loci x 8 mixture alleles plus
metadata is 240."""

MAX_CSV_FIELD_CHARS: Final = 1_000
"""Characters of one cell; specimen ids have at most 64, case numbers 100."""

MAX_CSV_ROWS: Final = 200_000
"""Lines of one file, header included: 6,800 samples of 29 loci in the long layout."""

MAX_CSV_CHARS: Final = 64 * 1024 * 1024
"""Characters of one file (64 Mi), for the CLI; the API refuses far smaller bodies."""


class CsvLimitError(ValueError):
    """A CSV that breaks a limit, or that the ``csv`` module cannot read at all."""


def _check_cells(line: int, cells: list[str]) -> None:
    if len(cells) > MAX_CSV_COLUMNS:
        raise CsvLimitError(
            f"line {line}: {len(cells)} columns, more than the {MAX_CSV_COLUMNS} a DNA CSV may have"
        )
    for column, cell in enumerate(cells, start=1):
        if len(cell) > MAX_CSV_FIELD_CHARS:
            raise CsvLimitError(
                f"line {line}, column {column}: a cell of {len(cell)} characters, more than "
                f"the {MAX_CSV_FIELD_CHARS} a DNA CSV cell may have"
            )
        if "\x00" in cell:
            raise CsvLimitError(f"line {line}, column {column}: a NUL character")


def _record_at(text: str, line: int) -> str:
    """The text from the start of physical line ``line`` (1-based) on."""
    offset = 0
    for _ in range(line - 1):
        offset = text.index("\n", offset) + 1
    return text[offset:]


def _long_cell_column(record: str, delimiter: str) -> int:
    """The column of the first cell longer than :data:`MAX_CSV_FIELD_CHARS` in the
    record that starts ``record``, read as the ``csv`` module's default dialect does
    (a cell may be quoted, ``""`` is a quote inside one).

    >>> _long_cell_column('a,"b,"",c' + "x" * 1000 + '",d', ",")
    2
    """
    column, length, quoted, at_start, closing = 1, 0, False, True, False
    for char in record:
        if closing:  # the quote before ends the quoted part, or doubles a quote
            closing = False
            quoted = char == '"'
        elif quoted and char == '"':
            closing = True
            continue
        elif at_start and char == '"':
            quoted, at_start = True, False
            continue
        if not quoted and char == delimiter:
            column, length, at_start = column + 1, 0, True
            continue
        if not quoted and char in "\r\n":
            break
        length, at_start = length + 1, False
        if length > MAX_CSV_FIELD_CHARS:
            break
    return column


def limited_rows(text: str, *, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    r"""``(first line number, cells)`` of every record of a CSV text, within the limits.

    Line numbers count physical lines from 1 (a quoted cell may span several). The work
    is linear in the length of the text; a file over a limit is refused at the line that
    breaks it, before the lines after it are read.

    Raises
    ------
    CsvLimitError
        On a file, a line or a cell over its limit (:data:`MAX_CSV_CHARS`,
        :data:`MAX_CSV_ROWS`, :data:`MAX_CSV_COLUMNS`, :data:`MAX_CSV_FIELD_CHARS`), on a
        NUL character and on text the ``csv`` module refuses; the message names the line
        (and the column, for a cell).

    Examples
    --------
    >>> list(limited_rows("a,b\n\n1,2\n", delimiter=","))
    [(1, ['a', 'b']), (2, []), (3, ['1', '2'])]
    >>> try:
    ...     list(limited_rows("a," + "x" * 2000, delimiter=","))
    ... except CsvLimitError as error:
    ...     print(error)
    line 1, column 2: a cell of 2000 characters, more than the 1000 a DNA CSV cell may have
    >>> try:
    ...     list(limited_rows("a,b,c\n1,2," + "x" * 200_000, delimiter=","))
    ... except CsvLimitError as error:
    ...     print(error)
    line 2, column 3: a cell of more than the 1000 characters a DNA CSV cell may have
    """
    if len(text) > MAX_CSV_CHARS:
        raise CsvLimitError(
            f"the CSV has {len(text)} characters, more than the {MAX_CSV_CHARS} allowed; "
            "split the file"
        )
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    start = 1
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as error:
            if "field limit" not in str(error):
                raise CsvLimitError(
                    f"line {reader.line_num}: not readable as CSV: {error}"
                ) from None
            column = _long_cell_column(_record_at(text, start), delimiter)
            raise CsvLimitError(
                f"line {start}, column {column}: a cell of more than the "
                f"{MAX_CSV_FIELD_CHARS} characters a DNA CSV cell may have"
            ) from None
        if cells is None:
            return
        if reader.line_num > MAX_CSV_ROWS:
            raise CsvLimitError(f"the CSV has more than {MAX_CSV_ROWS} lines; split the file")
        _check_cells(start, cells)
        yield start, cells
        start = reader.line_num + 1
