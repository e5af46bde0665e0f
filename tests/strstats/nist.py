"""Readers for the NIST 1036 U.S. population data in ``../shared/data/dna/nist1036/``.

Two independent readers, one per published format: the flattened ``genotypes.csv`` and
the NIST spreadsheet itself (``.xlsx``, read with the standard library: an xlsx file is a
zip of XML parts). Each returns ``{sample: (population, {locus: (allele1, allele2)})}`` with
untyped loci left out. The data stay in the shared folder; nothing is copied into the repo.
"""

from __future__ import annotations

import csv
import os
import re
import zipfile
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

from signalfire.strstats.loci import canonical_allele, canonical_locus


def shared_dir() -> Path:
    """The project's ``shared/`` folder: ``SIGNALFIRE_TEST_SHARED_DIR`` if set, else the
    first ``shared/`` with data beside the repository or above it, else ``/work/shared``
    (where this project's machines keep it, for clones made elsewhere)."""
    configured = os.environ.get("SIGNALFIRE_TEST_SHARED_DIR")
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parents[2]
    for base in (*repo.parents, Path("/work")):
        if (base / "shared" / "data").is_dir():
            return base / "shared"
    return repo.parent / "shared"


DATA = shared_dir() / "data" / "dna" / "nist1036"
CSV = DATA / "genotypes.csv"
XLSX = DATA / "1036-Revised-Genotypes-PopStats-July-19-2017.xlsx"
POPULATIONS = {"AA": 342, "Cauc": 361, "Hisp": 236, "Asian": 97}
SHEETS = {"all": "all", "AfAm": "AA", "Cauc": "Cauc", "Hisp": "Hisp", "Asian": "Asian"}

Person = dict[str, tuple[str, str]]
Sample = dict[str, tuple[str, Person]]

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def require(path: Path) -> Path:
    """The path, or a clear failure when the shared data is not where the tests expect it."""
    if not path.is_file():
        raise FileNotFoundError(
            f"NIST 1036 data missing: {path} (expected in ../shared/data/dna/nist1036/ "
            "beside the repository, or set SIGNALFIRE_TEST_SHARED_DIR; see its README)"
        )
    return path


@cache
def read_csv() -> Sample:
    """``genotypes.csv``: ``sample,pop,<LOCUS>_1,<LOCUS>_2,...``, empty cell = untyped."""
    out: Sample = {}
    with require(CSV).open(newline="") as handle:
        for row in csv.DictReader(handle):
            person: Person = {}
            for column, first in row.items():
                if column.endswith("_1") and first:
                    second = row[column[:-2] + "_2"]
                    locus = canonical_locus(column[:-2])
                    person[locus] = (canonical_allele(first), canonical_allele(second))
            out[row["sample"]] = (row["pop"], person)
    return out


def _column(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference)
    assert letters is not None
    index = 0
    for letter in letters.group():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _rows(book: zipfile.ZipFile, part: str, strings: list[str]) -> list[dict[int, str]]:
    root = ElementTree.fromstring(book.read(part))  # noqa: S314  (trusted public-domain file)
    rows = []
    for row in root.iterfind("m:sheetData/m:row", _NS):
        cells: dict[int, str] = {}
        for cell in row.iterfind("m:c", _NS):
            value = cell.find("m:v", _NS)
            if value is None or value.text is None:
                continue
            text = strings[int(value.text)] if cell.get("t") == "s" else value.text
            cells[_column(cell.get("r", ""))] = text
        rows.append(cells)
    return rows


def _sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))  # noqa: S314
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iterfind("rel:Relationship", _NS)}
    parts = {}
    for sheet in workbook.iterfind("m:sheets/m:sheet", _NS):
        name = sheet.get("name", "")
        key = next(k for k in SHEETS if k in name)
        parts[SHEETS[key]] = "xl/" + targets[sheet.get(f"{{{_NS['r']}}}id")]
    return parts


@cache
def read_xlsx(sheet: str) -> Sample:
    """One sheet of the NIST workbook: ``"all"``, ``"AA"``, ``"Cauc"``, ``"Hisp"``, ``"Asian"``.

    Row 1 holds ``Sample``, ``Pop`` and each locus name over its first allele column.
    """
    with zipfile.ZipFile(require(XLSX)) as book:
        shared = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314
        strings = ["".join(si.itertext()) for si in shared.iterfind("m:si", _NS)]
        header, *body = _rows(book, _sheet_parts(book)[sheet], strings)
    loci = {col: canonical_locus(name) for col, name in header.items() if col >= 2}
    out: Sample = {}
    for cells in body:
        if 0 not in cells:
            continue
        person: Person = {}
        for col, locus in loci.items():
            if col in cells and col + 1 in cells:
                person[locus] = (canonical_allele(cells[col]), canonical_allele(cells[col + 1]))
        out[cells[0]] = (cells[1], person)
    return out


def population(sample: Sample, pop: str) -> list[Person]:
    """The genotypes of one population group, in file order."""
    return [person for group, person in sample.values() if group == pop]
