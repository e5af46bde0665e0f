"""CSV import of DNA profiles: both layouts, every rejected line named with its reason."""

from __future__ import annotations

import pytest

from signalfire.strstats.importer import ImportFormatError, ParsedImport, parse_profiles
from signalfire.strstats.records import check_specimen_id, is_personal_field, locus_alleles


def parse(text: str, **options: object) -> ParsedImport:
    settings: dict[str, object] = {"index": "offender", "case_number": "2026-0042", **options}
    return parse_profiles(text, **settings)  # type: ignore[arg-type]


def reasons(parsed: ParsedImport) -> list[tuple[int, str | None, str]]:
    return [(r.line, r.specimen_id, r.reason) for r in parsed.rejected]


WIDE_REPEATED = """Sample,D3S1358,D3S1358,vWA,vWA,Amelogenin,Amelogenin
S1,15,16,17,18,X,Y
S2,14,14,16,,X,X
"""
WIDE_NUMBERED = """sample,pop,D3S1358_1,D3S1358_2,VWA_1,VWA_2,AMEL_1,AMEL_2
S1,AA,15,16,17,18,X,Y
S2,AA,14,14,16,,X,X
"""
WIDE_SEMICOLON = """Sample Name;D3S1358 1;D3S1358 2;vWA 1;vWA 2;AMEL 1;AMEL 2
S1;15;16;17;18;X;Y
S2;14;14;16;;X;X
"""
LONG = """Sample,Marker,Allele 1,Allele 2
S1,D3S1358,15,16
S1,vWA,17,18
S1,AMEL,X,Y
S2,D3S1358,14,14
S2,VWA,16,
S2,Amelogenin,X,
"""
EXPECTED = [
    ("S1", {"D3S1358": ("15", "16"), "vWA": ("17", "18"), "AMEL": ("X", "Y")}),
    ("S2", {"D3S1358": ("14", "14"), "vWA": ("16", "16"), "AMEL": ("X", "X")}),
]


@pytest.mark.parametrize(
    ("text", "layout"),
    [(WIDE_REPEATED, "wide"), (WIDE_NUMBERED, "wide"), (WIDE_SEMICOLON, "wide"), (LONG, "long")],
    ids=["repeated-names", "numbered-columns", "semicolons", "row-per-locus"],
)
def test_both_layouts_give_the_same_profiles(text: str, layout: str) -> None:
    parsed = parse(text)
    assert parsed.layout == layout
    assert parsed.rejected == []
    assert [(p.specimen_id, p.loci) for p in parsed.profiles] == EXPECTED
    assert {(p.case_number, p.index) for p in parsed.profiles} == {("2026-0042", "offender")}


def test_unknown_single_columns_are_ignored_and_listed() -> None:
    assert parse(WIDE_NUMBERED).ignored_columns == ["pop"]


def test_wide_rows_are_rejected_one_by_one_with_their_line_and_reason() -> None:
    text = """Sample,D3S1358,D3S1358,vWA,vWA,AMEL,AMEL
S1,15,16,17,18,X,Y

S2,15,abc,17,18,X,Y
S1,15,16,17,18,X,Y
,15,16,17,18,X,Y
John Smith,15,16,17,18,X,Y
S5,15,16,17,18,12,Y
S6,,,,,,
S7,15,16,17,18,X,Y,extra
S8,OL,16,17,18,X,Y
"""
    parsed = parse(text)
    assert [p.specimen_id for p in parsed.profiles] == ["S1"]
    assert reasons(parsed) == [
        (4, "S2", "locus D3S1358: allele 'abc' is not a repeat number, X, Y or OL"),
        (5, "S1", "duplicate specimen id (first on line 2)"),
        (6, None, "no specimen id"),
        (
            7,
            "John Smith",
            "specimen id 'John Smith' is not 1-64 letters, digits and . _ : / # - (no spaces)",
        ),
        (8, "S5", "locus AMEL: allele '12' is not X or Y"),
        (9, "S6", "no typed locus"),
        (10, "S7", "8 cells but the header has 7 columns"),
        (11, "S8", "locus D3S1358: an off-ladder allele (OL) must be sized before storing"),
    ]


def test_long_layout_rejects_the_bad_line_and_the_rest_of_its_sample() -> None:
    text = """Sample,Marker,Allele 1,Allele 2,Allele 3
S1,D3S1358,15,16,
S1,D99S1,15,16,
S1,vWA,17,18,
S2,D3S1358,15,16,17
S3,vWA,17,18,
S3,VWA,17,
S4,TH01,6,9.3,
"""
    parsed = parse(text)
    assert [p.specimen_id for p in parsed.profiles] == ["S4"]
    assert reasons(parsed) == [
        (2, "S1", "not imported: line 3 of this sample was rejected"),
        (3, "S1", "unknown locus 'D99S1'"),
        (4, "S1", "not imported: line 3 of this sample was rejected"),
        (
            5,
            "S2",
            "locus D3S1358: 3 alleles (15, 16, 17) but a single-source profile has at most 2",
        ),
        (6, "S3", "not imported: line 7 of this sample was rejected"),
        (7, "S3", "locus vWA given twice (first on line 6)"),
    ]


def test_mixtures_keep_up_to_max_alleles_per_locus() -> None:
    text = """Sample,Marker,Allele 1,Allele 2,Allele 3,Allele 4,Allele 5
M1,D3S1358,14,15,16,17,
M1,vWA,16,17,,,
M2,D3S1358,14,15,16,17,18
"""
    parsed = parse(text, mixture=True, max_alleles=4)
    assert [(p.specimen_id, p.loci) for p in parsed.profiles] == [
        ("M1", {"D3S1358": ("14", "15", "16", "17"), "vWA": ("16", "17")})
    ]
    assert reasons(parsed) == [
        (
            4,
            "M2",
            "locus D3S1358: 5 alleles (14, 15, 16, 17, 18) but this import keeps at most 4 "
            "per mixture locus",
        )
    ]


def test_rows_may_carry_their_own_case_and_index() -> None:
    text = """Sample,Case,Index,TH01,TH01
S1,2025-7,forensic unknown,6,9.3
S2,,,6,6
S3,,suspect,6,6
"""
    parsed = parse(text, index=None)
    assert [(p.specimen_id, p.case_number, p.index) for p in parsed.profiles] == [
        ("S1", "2025-7", "forensic_unknown")
    ]
    assert reasons(parsed) == [
        (3, "S2", "no index: give an Index column or the import's index"),
        (
            4,
            "S3",
            "unknown index 'suspect'; expected one of offender, arrestee, forensic_unknown, "
            "missing_person, relative_of_missing_person, unidentified_remains",
        ),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the CSV is empty"),
        ("Sample,Last Name,TH01,TH01\n", "column 2: 'Last Name' would hold a person's name"),
        ("Sample,Donor,TH01,TH01\n", "column 2: 'Donor' would hold a person's name"),
        ("Marker,Allele 1\n", "no sample column"),
        ("Sample,D99S1_1,D99S1_2\n", "column 2: unknown locus 'D99S1_1'"),
        ("Sample,pop,Run 1\n", "no locus columns"),
        ("\nSample,Marker\n", "line 2: a Marker column but no 'Allele 1', 'Allele 2'"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(text: str, message: str) -> None:
    with pytest.raises(ImportFormatError, match=message):
        parse(text)


def test_line_numbers_count_quoted_line_breaks() -> None:
    text = 'Sample,Note,TH01,TH01\nS1,"two\nlines",6,7\nS2,,q,7\n'
    assert reasons(parse(text)) == [
        (4, "S2", "locus TH01: allele 'q' is not a repeat number, X, Y or OL")
    ]


@pytest.mark.parametrize(
    ("header", "personal"),
    [("Name", True), ("First name", True), ("surname", True), ("Date of birth", True),
     ("Sample Name", False), ("Marker", False), ("pop", False)],
)  # fmt: skip
def test_personal_fields_are_recognised(header: str, personal: bool) -> None:
    assert is_personal_field(header) is personal


def test_alleles_are_canonical_and_checked() -> None:
    assert locus_alleles("THO1", ["9.30", "06"]) == ("TH01", ("6", "9.3"))
    assert locus_alleles("vWA", [17]) == ("vWA", ("17", "17"))
    with pytest.raises(ValueError, match="locus vWA: allele 'X' is not a repeat number"):
        locus_alleles("vWA", ["X", "17"])
    assert check_specimen_id("FBI/2026:17#3") == "FBI/2026:17#3"
