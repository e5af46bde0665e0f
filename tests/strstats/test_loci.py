"""Locus aliases and allele designations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalfire.strstats.loci import (
    CODIS_CORE,
    KNOWN_LOCI,
    MAX_REPEATS,
    MIN_REPEATS,
    canonical_allele,
    canonical_locus,
)


def test_codis_core_is_the_fbi_twenty() -> None:
    # FBI CODIS core loci from 1 January 2017: the original 13 plus 7.
    original_13 = {
        "CSF1PO", "FGA", "TH01", "TPOX", "vWA", "D3S1358", "D5S818", "D7S820", "D8S1179",
        "D13S317", "D16S539", "D18S51", "D21S11",
    }  # fmt: skip
    added_7 = {"D1S1656", "D2S441", "D2S1338", "D10S1248", "D12S391", "D19S433", "D22S1045"}
    assert set(CODIS_CORE) == original_13 | added_7
    assert len(CODIS_CORE) == 20
    assert set(CODIS_CORE) <= set(KNOWN_LOCI)


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("vWA", "vWA"), ("VWA", "vWA"), ("vwa", "vWA"), ("HUMVWA31A", "vWA"),
        ("TH01", "TH01"), ("THO1", "TH01"), ("th01", "TH01"), ("HUMTH01", "TH01"),
        ("Penta D", "Penta D"), ("PentaD", "Penta D"), ("PENTA_D", "Penta D"),
        ("penta-e", "Penta E"), ("Penta_C", "Penta C"),
        ("Amelogenin", "AMEL"), ("AMEL", "AMEL"), ("amel", "AMEL"),
        ("FIBRA (FGA)", "FGA"), ("fga", "FGA"), ("SE33", "SE33"), ("se 33", "SE33"),
        ("D6S1043", "D6S1043"), ("DYS391", "DYS391"), ("d3s1358", "D3S1358"),
        (" D21S11 ", "D21S11"), ("D2S-1338", "D2S1338"), ("F13A1", "F13A01"),
        ("FES/FPS", "FESFPS"), ("DYS385a/b", "DYS385"), ("Y-GATA-H4", "Y-GATA-H4"),
    ],
)  # fmt: skip
def test_canonical_locus_resolves_aliases(spelling: str, canonical: str) -> None:
    assert canonical_locus(spelling) == canonical


@pytest.mark.parametrize("name", ["D99S1", "", "PentaZ", "CODIS"])
def test_unknown_locus_is_named_in_the_error(name: str) -> None:
    with pytest.raises(ValueError, match=f"unknown locus {name!r}"):
        canonical_locus(name)


def test_locus_name_must_be_text() -> None:
    with pytest.raises(TypeError):
        canonical_locus(3)  # type: ignore[arg-type]


@given(st.sampled_from(KNOWN_LOCI), st.data())
def test_case_space_and_punctuation_do_not_matter(locus: str, data: st.DataObject) -> None:
    mangled = ""
    for char in locus:
        upper = data.draw(st.booleans())
        mangled += (char.upper() if upper else char.lower()) + data.draw(
            st.sampled_from(["", " ", "_", "-", "."])
        )
    assert canonical_locus(mangled) == locus
    assert canonical_locus(canonical_locus(mangled)) == locus


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("10", "10"), ("10.0", "10"), ("010", "10"), (" 9.3 ", "9.3"), ("9.30", "9.3"),
        ("x", "X"), ("Y", "Y"), ("OL", "OL"), ("ol", "OL"), ("<8", "<8"), ("< 8", "<8"),
        (">30", ">30"), (">30.0", ">30"), ("2.2", "2.2"), ("43.2", "43.2"),
        ("9.3000000000000007", "9.3"), ("32.200000000000003", "32.2"),
        (12, "12"), (9.3, "9.3"), (10.0, "10"),
    ],
)  # fmt: skip
def test_canonical_allele(text: str | float, canonical: str) -> None:
    assert canonical_allele(text) == canonical


@pytest.mark.parametrize("text", ["", "   ", "abc", "9.35", "9..3", "1e3", "-5", "<", "10-11"])
def test_bad_alleles_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="allele"):
        canonical_allele(text)


def test_allele_must_be_text_or_number() -> None:
    with pytest.raises(TypeError):
        canonical_allele(True)
    with pytest.raises(TypeError):
        canonical_allele(None)  # type: ignore[arg-type]


@given(
    st.integers(MIN_REPEATS, MAX_REPEATS - 1), st.integers(0, 9), st.sampled_from(["", "<", ">"])
)
def test_canonical_allele_is_idempotent(whole: int, tenth: int, prefix: str) -> None:
    text = f"{prefix}{whole}.{tenth}"
    once = canonical_allele(text)
    assert canonical_allele(once) == once
    assert float(once.lstrip("<>")) == pytest.approx(whole + tenth / 10)


@pytest.mark.parametrize(
    "allele",
    ["99999999999999999999", 10**20, "100", "100.0", "99.99999999999999999", "0", "0.3", ">100"],
)
def test_repeat_number_out_of_range_is_refused(allele: str | int) -> None:
    """Issue 26, finding 6: an allele of 10^20 repeats was stored."""
    with pytest.raises(ValueError, match=r"repeat number out of range \(at least 1, below 100\)"):
        canonical_allele(allele)


def test_repeat_numbers_at_the_bounds_are_kept() -> None:
    assert [canonical_allele(a) for a in ("1", "99.9", "<1", ">99", "0043.2")] == [
        "1",
        "99.9",
        "<1",
        ">99",
        "43.2",
    ]
