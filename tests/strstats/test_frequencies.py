"""Frequency tables: construction, NRC II minimum, CSV import, and the real NIST 1036 data."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from signalfire.strstats.frequencies import FrequencyTable, as_frequency_table, read_frequency_csv
from signalfire.strstats.loci import CODIS_CORE
from signalfire.strstats.profiles import allele_order
from tests.strstats import nist

# --- the table itself -------------------------------------------------------------------


def test_names_are_canonical_and_minimum_follows_nrc_ii() -> None:
    table = FrequencyTable({"THO1": {"9.30": 0.5, "6": 0.001}, "vwa": {"17": 0.2}}, n=50)
    assert table.loci == ("TH01", "vWA")
    assert dict(table.alleles("TH01")) == {"9.3": 0.5, "6": 0.001}
    # NRC II (1996) p. 148: minimum allele frequency 5 / (2N); N = 50 gives 0.05.
    assert table.minimum("TH01") == 0.05
    assert table.freq("TH01", "9.3") == 0.5
    assert table.freq("TH01", "6") == 0.05  # listed below the minimum
    assert table.freq("TH01", "12") == 0.05  # never seen
    assert table.freq("VWA", "17.0") == 0.2


def test_sample_size_per_locus() -> None:
    table = FrequencyTable.from_mapping(
        {"TH01": {"6": 0.5}, "TPOX": {"8": 0.5}}, n={"TH01": 100, "TPOX": 250}
    )
    assert dict(table.n) == {"TH01": 100, "TPOX": 250}
    assert table.minimum("TPOX") == 0.01


def test_without_sample_size_unseen_alleles_are_an_error() -> None:
    table = FrequencyTable.from_mapping({"TH01": {"6": 0.001}})
    assert table.minimum("TH01") is None
    assert table.freq("TH01", "6") == 0.001
    with pytest.raises(ValueError, match=r"locus TH01: allele 7 is not in the frequency table"):
        table.freq("TH01", "7")
    with pytest.raises(KeyError, match="TPOX"):
        table.freq("TPOX", "8")


def test_table_is_immutable() -> None:
    source = {"TH01": {"6": 0.5}}
    table = FrequencyTable(source, n=10)
    source["TH01"]["6"] = 0.9  # the caller's dict does not leak in
    assert table.freq("TH01", "6") == 0.5
    with pytest.raises(AttributeError):
        table.loci = ()  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        table.extra = 1
    with pytest.raises(TypeError):
        table.alleles("TH01")["6"] = 0.1  # type: ignore[index]
    with pytest.raises(TypeError):
        table.n["TH01"] = 5  # type: ignore[index]


def test_equality_and_as_frequency_table() -> None:
    mapping = {"TH01": {"6": 0.5, "7": 0.5}}
    table = as_frequency_table(mapping)
    assert table == FrequencyTable(mapping)
    assert as_frequency_table(table) is table
    assert table != FrequencyTable(mapping, n=10)
    assert "TH01" in table
    assert "TPOX" not in table
    assert len(table) == 1


@pytest.mark.parametrize(
    ("frequencies", "n", "message"),
    [
        ({"TH01": {"6": 1.5}}, None, r"locus TH01, allele 6: frequency 1.5 is not between"),
        ({"TH01": {"6": -0.1}}, None, "not between 0 and 1"),
        ({"TH01": {"6": math.nan}}, None, "not between 0 and 1"),
        ({"TH01": {"6": 0.1, "6.0": 0.2}}, None, "allele '6.0' appears twice"),
        ({"TH01": {"6": 0.1}, "THO1": {"6": 0.2}}, None, "locus 'THO1' appears twice"),
        ({"D99S1": {"6": 0.1}}, None, "unknown locus 'D99S1'"),
        ({"TH01": {"6": 0.1}}, 0, "sample size 0 is not a positive integer"),
        ({"TH01": {"6": 0.1}}, {"TPOX": 10}, r"loci not in the table: \['TPOX'\]"),
    ],
)
def test_bad_tables_are_refused(
    frequencies: dict[str, dict[str, float]], n: int | dict[str, int] | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        FrequencyTable(frequencies, n)


# --- counting genotypes -----------------------------------------------------------------


def test_from_genotypes_counts_alleles_per_typed_person() -> None:
    people = [
        {"TH01": ("6", "9.3"), "TPOX": ("8", "8")},
        {"TH01": ("9.3", "9.3")},  # untyped at TPOX
        {"THO1": ("6", "7"), "TPOX": ("8", "11")},
    ]
    table = FrequencyTable.from_genotypes(people)
    assert dict(table.n) == {"TH01": 3, "TPOX": 2}
    assert dict(table.alleles("TH01")) == {"6": 2 / 6, "9.3": 3 / 6, "7": 1 / 6}
    assert dict(table.alleles("TPOX")) == {"8": 3 / 4, "11": 1 / 4}
    assert table.minimum("TPOX") == 5 / 4  # 5 / (2N) with N = 2 people typed


@pytest.mark.parametrize(
    ("people", "message"),
    [
        ([{"TH01": ("6",)}], r"genotype 0, locus TH01: expected two alleles"),
        ([{"TH01": "69"}], "expected two alleles"),
        ([{"TH01": ("6", "7"), "THO1": ("6", "7")}], "genotype 0: locus 'THO1' appears twice"),
        ([{"TH01": ("6", "")}], "allele is empty"),
    ],
)
def test_from_genotypes_refuses_bad_genotypes(
    people: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        FrequencyTable.from_genotypes(people)  # type: ignore[arg-type]


# --- CSV import ---------------------------------------------------------------------------

GOOD_CSV = """Allele,TH01,vWA,Penta D
6,0.2,,
9.3,0.3,,0.01
17,,0.25,
N,100,120,
"""


def test_read_frequency_csv() -> None:
    table = read_frequency_csv(GOOD_CSV)
    assert table.loci == ("TH01", "vWA", "Penta D")
    assert dict(table.alleles("TH01")) == {"6": 0.2, "9.3": 0.3}
    assert dict(table.alleles("Penta D")) == {"9.3": 0.01}
    assert dict(table.n) == {"TH01": 100, "vWA": 120}
    assert table.freq("vWA", "18") == 5 / 240


def test_read_frequency_csv_variants() -> None:
    text = "\ufeffallele;THO1\r\n9.30;0.3\r\n\r\n2N;200\r\n"
    table = read_frequency_csv(text, delimiter=";")
    assert dict(table.alleles("TH01")) == {"9.3": 0.3}
    assert dict(table.n) == {"TH01": 100}
    assert dict(read_frequency_csv(GOOD_CSV, n=50).n) == {"TH01": 50, "vWA": 50, "Penta D": 50}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "frequency CSV is empty"),
        ("Locus,TH01\n6,0.1\n", r"row 1, column 1: expected 'Allele', found 'Locus'"),
        ("Allele,TH01,D99S1\n6,0.1,0.2\n", r"row 1, column 3: unknown locus 'D99S1'"),
        ("Allele,TH01,THO1\n", r"row 1, column 3: locus 'THO1' appears twice"),
        ("Allele,TH01\n6,abc\n", r"row 2, column 'TH01': 'abc' is not a number"),
        ("Allele,TH01\n6,0.1\n7,1.2\n", r"row 3, TH01: frequency 1.2 is not between 0 and 1"),
        ("Allele,TH01\n6,0.1,0.2\n", r"row 2: 3 cells but 2 columns"),
        ("Allele,TH01\nsix,0.1\n", r"row 2, column 'Allele': allele 'six' is not"),
        ("Allele,TH01\n6,0.1\n6.0,0.2\n", r"row 3: allele 6 appears twice for TH01"),
        ("Allele,TH01\n6,0.1\nN,10.5\n", r"row 3, column 'TH01': N = 10.5 is not a count"),
        ("Allele,TH01\n6,0.1\nN,0\n", r"row 3, column 'TH01': N = 0.0 is not a count"),
    ],
)
def test_read_frequency_csv_errors_name_row_and_column(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_frequency_csv(text)


def to_csv(table: FrequencyTable) -> str:
    """Write a table in the allele-by-locus layout read_frequency_csv reads."""
    alleles = sorted({a for locus in table.loci for a in table.alleles(locus)}, key=allele_order)
    lines = ["Allele," + ",".join(table.loci)]
    for allele in alleles:
        cells = [repr(table.alleles(locus).get(allele, "")) for locus in table.loci]
        lines.append(allele + "," + ",".join(c.strip("'") for c in cells))
    lines.append("N," + ",".join(str(table.n[locus]) for locus in table.loci))
    return "\n".join(lines) + "\n"


# --- the real NIST 1036 data --------------------------------------------------------------


def caucasian() -> FrequencyTable:
    return FrequencyTable.from_genotypes(nist.population(nist.read_csv(), "Cauc"))


def test_nist_readme_check_value() -> None:
    # ../shared/data/dna/nist1036/README.md: "Caucasian D3S1358 allele 15 has frequency
    # 0.2729 (from 722 alleles)".
    table = caucasian()
    assert table.n["D3S1358"] * 2 == 722
    assert round(table.freq("D3S1358", "15"), 4) == 0.2729
    assert round(table.freq("D3S1358", "15") * 722) == 197


def test_nist_spreadsheet_and_csv_hold_the_same_genotypes() -> None:
    # The NIST workbook (one sheet per group plus "all") and the flattened CSV are two
    # independent readings of the published data; they must agree person by person.
    csv_sample = nist.read_csv()
    assert nist.read_xlsx("all") == csv_sample
    for group, size in nist.POPULATIONS.items():
        sheet = nist.read_xlsx(group)
        assert len(sheet) == size
        assert sheet == {k: v for k, v in csv_sample.items() if v[0] == group}


def test_nist_tables_from_both_formats_agree() -> None:
    for group in nist.POPULATIONS:
        from_csv = FrequencyTable.from_genotypes(nist.population(nist.read_csv(), group))
        from_xlsx = FrequencyTable.from_genotypes(nist.population(nist.read_xlsx(group), group))
        assert from_csv == from_xlsx


def test_nist_sample_sizes_and_loci() -> None:
    everyone = FrequencyTable.from_genotypes(p for _, p in nist.read_csv().values())
    assert len(everyone.loci) == 29
    assert set(CODIS_CORE) <= set(everyone.loci)
    assert {"Penta D", "Penta E", "SE33", "D6S1043"} <= set(everyone.loci)
    # 1,036 people; one African American sample lacks TPOX and one Hispanic lacks Penta D.
    assert dict(everyone.n) == {
        locus: 1035 if locus in ("TPOX", "Penta D") else 1036 for locus in everyone.loci
    }
    assert caucasian().minimum("TH01") == 5 / (2 * 361)


def test_nist_counts_add_up_across_populations() -> None:
    sample = nist.read_csv()
    everyone = FrequencyTable.from_genotypes(p for _, p in sample.values())
    for locus in ("D3S1358", "TH01", "FGA", "SE33", "Penta D"):
        pooled: Counter[str] = Counter()
        for group in nist.POPULATIONS:
            table = FrequencyTable.from_genotypes(nist.population(sample, group))
            for allele, f in table.alleles(locus).items():
                pooled[allele] += round(f * 2 * table.n[locus])
        total = 2 * everyone.n[locus]
        assert sum(pooled.values()) == total
        for allele, f in everyone.alleles(locus).items():
            assert f * total == pytest.approx(pooled[allele])
        assert math.fsum(everyone.alleles(locus).values()) == pytest.approx(1.0)


def test_nist_table_round_trips_through_csv() -> None:
    table = caucasian()
    assert read_frequency_csv(to_csv(table)) == table
