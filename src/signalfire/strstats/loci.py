"""Locus names and allele designations of forensic STR kits, in one canonical spelling.

Kit exports, population tables and laboratory systems spell the same locus in many ways
(``vWA``, ``VWA``, ``HUMVWA31A``; ``TH01``, ``THO1``; ``Penta D``, ``PENTA_D``; ``AMEL``,
``Amelogenin``). Everything in :mod:`signalfire.strstats` keys loci by the canonical names here,
so a profile typed with one kit can be compared with a frequency table from another.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

__all__ = [
    "CODIS_CORE",
    "KNOWN_LOCI",
    "MAX_REPEATS",
    "MIN_REPEATS",
    "canonical_allele",
    "canonical_locus",
]

CODIS_CORE: tuple[str, ...] = (
    "CSF1PO", "FGA", "TH01", "TPOX", "vWA",
    "D3S1358", "D5S818", "D7S820", "D8S1179", "D13S317", "D16S539", "D18S51", "D21S11",
    "D1S1656", "D2S441", "D2S1338", "D10S1248", "D12S391", "D19S433", "D22S1045",
)  # fmt: skip
"""The 20 CODIS core loci (FBI, in force since 1 January 2017)."""

# Canonical name -> other spellings in use. Matching ignores case and every character that
# is not a letter or digit, so "Penta D", "PentaD" and "PENTA_D" need no separate entries.
_ALIASES: dict[str, tuple[str, ...]] = {
    "CSF1PO": ("CSF", "HUMCSF1PO"),
    "FGA": ("FIBRA", "FIBRA (FGA)", "HUMFIBRA"),
    "TH01": ("THO1", "HUMTH01"),
    "TPOX": ("HUMTPOX",),
    "vWA": ("VWA31", "VWA31A", "HUMVWA31A"),
    "D3S1358": (), "D5S818": (), "D7S820": (), "D8S1179": (), "D13S317": (),
    "D16S539": (), "D18S51": (), "D21S11": (), "D1S1656": (), "D2S441": (),
    "D2S1338": (), "D10S1248": (), "D12S391": (), "D19S433": (), "D22S1045": (),
    # Other autosomal loci of common kits (PowerPlex Fusion/ESX/ESI, GlobalFiler, Sinofiler,
    # Investigator 24plex) and of the older US population data sets.
    "Penta C": (), "Penta D": (), "Penta E": (), "SE33": ("ACTBP2",),
    "D6S1043": (), "D1S1677": (), "D4S2408": (), "D9S1122": (), "D10S1435": (),
    "D11S4463": (), "D12ATA63": (), "D14S1434": (), "D17S1301": (), "D17S974": (),
    "D18S853": (), "D20S482": (), "D20S1082": (), "D3S4529": (), "D5S2800": (),
    "D6S474": (), "D6S1017": (), "D8S1115": (), "D9S2157": (), "D1GATA113": (),
    "F13A01": ("F13A1",), "F13B": (), "FESFPS": ("FES/FPS", "FES"), "LPL": (),
    "CD4": (), "HPRTB": (),
    # Sex and Y-chromosome markers carried by autosomal kits or Y kits.
    "AMEL": ("Amelogenin", "AM", "AMELO"),
    "Yindel": ("Y indel",),
    "DYS19": (), "DYS385": ("DYS385a/b", "DYS385ab"), "DYS389I": (), "DYS389II": (),
    "DYS390": (), "DYS391": (), "DYS392": (), "DYS393": (), "DYS437": (), "DYS438": (),
    "DYS439": (), "DYS448": (), "DYS449": (), "DYS456": (), "DYS458": (), "DYS460": (),
    "DYS481": (), "DYS518": (), "DYS533": (), "DYS549": (), "DYS570": (), "DYS576": (),
    "DYS627": (), "DYS635": (), "DYS643": (), "DYF387S1": (), "Y-GATA-H4": ("GATA-H4",),
}  # fmt: skip

KNOWN_LOCI: tuple[str, ...] = tuple(_ALIASES)
"""Every canonical locus name this module knows, CODIS core first."""


def _key(name: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", name.upper())


def _build_lookup() -> MappingProxyType[str, str]:
    lookup: dict[str, str] = {}
    for canonical, aliases in _ALIASES.items():
        for spelling in (canonical, *aliases):
            key = _key(spelling)
            if lookup.setdefault(key, canonical) != canonical:  # pragma: no cover - table bug
                raise RuntimeError(f"locus alias {spelling!r} is ambiguous")
    return MappingProxyType(lookup)


_LOOKUP = _build_lookup()


def canonical_locus(name: str) -> str:
    """The canonical name of an STR locus, whatever its spelling.

    Case, spaces and punctuation are ignored, and the usual aliases are resolved.

    Parameters
    ----------
    name
        A locus name as written by a kit, a laboratory system or a population table.

    Returns
    -------
    str
        The canonical name, one of :data:`KNOWN_LOCI`.

    Raises
    ------
    ValueError
        If the locus is not known; the message names it.

    Examples
    --------
    >>> canonical_locus("VWA"), canonical_locus("vwa"), canonical_locus("HUMVWA31A")
    ('vWA', 'vWA', 'vWA')
    >>> canonical_locus("THO1"), canonical_locus("PENTA_D"), canonical_locus("Amelogenin")
    ('TH01', 'Penta D', 'AMEL')
    >>> canonical_locus("D99S1")
    Traceback (most recent call last):
    ...
    ValueError: unknown locus 'D99S1'
    """
    if not isinstance(name, str):
        raise TypeError(f"a locus name must be a string, not {type(name).__name__}")
    found = _LOOKUP.get(_key(name))
    if found is None:
        raise ValueError(f"unknown locus {name!r}")
    return found


MIN_REPEATS: Final = 1
MAX_REPEATS: Final = 100
"""An allele's repeat number is at least :data:`MIN_REPEATS` and below :data:`MAX_REPEATS`.

The alleles seen in forensic STR typing stay far inside: the NIST 1036 U.S. population
data (29 autosomal loci) runs from 2.2 to 43.2, and the longest alleles listed by NIST's
STRBase (FGA, SE33, Penta E) stay near 50 repeats. A number outside is a typing or
export error, not an allele."""

_NUMBER = re.compile(r"(?P<whole>\d+)(?:\.(?P<frac>\d+))?")
_WORDS = frozenset({"X", "Y", "OL"})


def _shown(original: object) -> str:
    """``original`` as an error message quotes it: at most some 20 characters."""
    text = str(original)
    return repr(text if len(text) <= 24 else f"{text[:20]}...")


def _out_of_range(original: object) -> ValueError:
    return ValueError(
        f"allele {_shown(original)}: repeat number out of range (at least {MIN_REPEATS}, "
        f"below {MAX_REPEATS})"
    )


def _canonical_number(text: str, original: object) -> str:
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise ValueError(f"allele {original!r} is not a repeat number, X, Y or OL")
    if len(match["whole"].lstrip("0")) > len(str(MAX_REPEATS)):
        raise _out_of_range(original)  # before int(): a number may have any length
    whole, frac = str(int(match["whole"].lstrip("0") or "0")), (match["frac"] or "").rstrip("0")
    if len(frac) > 1:
        # A spreadsheet that stored 9.3 as a binary float writes 9.3000000000000007.
        shortest = repr(float(text))
        whole, _, frac = shortest.partition(".")
        frac = frac.rstrip("0")
        if len(frac) > 1 or "e" in shortest:
            raise ValueError(
                f"allele {_shown(original)}: a microvariant has one digit after the point (9.3)"
            )
    if not MIN_REPEATS <= int(whole) < MAX_REPEATS:
        raise _out_of_range(original)
    return f"{whole}.{frac}" if frac else whole


def canonical_allele(text: str | int | float) -> str:
    """The canonical designation of an STR allele.

    Repeat numbers lose leading zeros and a zero fraction (``"10.0"`` is ``"10"``), keep
    a one-digit microvariant fraction (``"9.3"``), and come back from the binary-float
    noise of spreadsheets (``9.3000000000000007`` is ``"9.3"``). ``X`` and ``Y``
    (Amelogenin), ``OL`` (off-ladder) and bounds such as ``<8`` or ``>30`` are kept.
    Spaces are removed and letters upper-cased. A repeat number must lie in
    [:data:`MIN_REPEATS`, :data:`MAX_REPEATS`).

    Parameters
    ----------
    text
        The allele as written; a number is accepted too.

    Returns
    -------
    str
        The canonical designation.

    Raises
    ------
    ValueError
        If the text is empty, not an allele designation, or a repeat number out of range.

    Examples
    --------
    >>> [canonical_allele(a) for a in ("10.0", " 9.3 ", "08", "x", "ol", "< 8", ">30")]
    ['10', '9.3', '8', 'X', 'OL', '<8', '>30']
    >>> canonical_allele(9.3000000000000007), canonical_allele(12)
    ('9.3', '12')
    >>> canonical_allele("abc")
    Traceback (most recent call last):
    ...
    ValueError: allele 'abc' is not a repeat number, X, Y or OL
    >>> canonical_allele("100")
    Traceback (most recent call last):
    ...
    ValueError: allele '100': repeat number out of range (at least 1, below 100)
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise TypeError(f"an allele must be a string or a number, not {type(text).__name__}")
    compact = re.sub(r"\s+", "", str(text)).upper()
    if not compact:
        raise ValueError("allele is empty")
    if compact in _WORDS:
        return compact
    if compact[0] in "<>":
        return compact[0] + _canonical_number(compact[1:], text)
    return _canonical_number(compact, text)
