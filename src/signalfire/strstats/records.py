"""What a stored DNA profile is made of, checked: specimen ids, indexes, alleles per locus.

A database profile is ``{locus: alleles}`` with canonical names
(:mod:`signalfire.strstats.loci`). A single-source profile has one or two alleles per locus
and is kept as a pair (a homozygote repeats its allele); a mixture keeps each allele
it shows once, up to a chosen maximum. Loci may be missing. Profiles carry no personal
names: :func:`is_personal_field` spots the columns and fields that would hold one.
Pure code: no web, no SQL.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Final, Literal, get_args

from signalfire.strstats.loci import canonical_allele, canonical_locus
from signalfire.strstats.profiles import allele_order

__all__ = [
    "DEFAULT_MAX_MIXTURE_ALLELES",
    "INDEXES",
    "MAX_MIXTURE_ALLELES",
    "SEX_LOCI",
    "Alleles",
    "IndexName",
    "Loci",
    "canonical_index",
    "check_specimen_id",
    "is_personal_field",
    "locus_alleles",
    "profile_digest",
    "profile_loci",
]

IndexName = Literal[
    "offender",
    "arrestee",
    "forensic_unknown",
    "missing_person",
    "relative_of_missing_person",
    "unidentified_remains",
]
INDEXES: Final[tuple[str, ...]] = get_args(IndexName)
"""The indexes (categories) a profile is stored in, as in CODIS."""

DEFAULT_MAX_MIXTURE_ALLELES: Final = 6  # a three-person mixture at a locus
MAX_MIXTURE_ALLELES: Final = 8
SEX_LOCI: Final = frozenset({"AMEL"})
"""Kept with the profile, never compared in a search (they are not STR loci)."""

Alleles = tuple[str, ...]
Loci = dict[str, Alleles]

_SPECIMEN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}")
_PERSONAL_KEYS = frozenset(
    {
        "surname", "forename", "firstname", "lastname", "givenname", "familyname",
        "fullname", "name", "donor", "dob", "dateofbirth", "birthdate", "birthday",
        "ssn", "socialsecuritynumber", "personalidentitycode", "nationalid",
    }
)  # fmt: skip
_NOT_PERSONAL = frozenset(
    {"samplename", "specimenname", "samplefilename", "markername", "locusname", "kitname"}
)


def _key(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.lower())


def is_personal_field(header: str) -> bool:
    """Whether a column or field name would hold a person's name or identity.

    Examples
    --------
    >>> [is_personal_field(h) for h in ("Last Name", "donor_name", "DOB", "Sample Name")]
    [True, True, True, False]
    """
    key = _key(header)
    if key in _NOT_PERSONAL:
        return False
    return key in _PERSONAL_KEYS or "name" in key


def check_specimen_id(text: str) -> str:
    """A specimen id, trimmed: 1-64 letters, digits and ``. _ : / # -``, no spaces.

    Examples
    --------
    >>> check_specimen_id(" GT37019 ")
    'GT37019'
    >>> check_specimen_id("John Smith")
    Traceback (most recent call last):
    ...
    ValueError: specimen id 'John Smith' is not 1-64 letters, digits and . _ : / # - (no spaces)
    """
    value = text.strip()
    if not _SPECIMEN_ID.fullmatch(value):
        raise ValueError(
            f"specimen id {value!r} is not 1-64 letters, digits and . _ : / # - (no spaces)"
        )
    return value


def canonical_index(text: str) -> str:
    """An index name, tolerant of case and spaces.

    Examples
    --------
    >>> canonical_index("Forensic Unknown")
    'forensic_unknown'
    """
    value = re.sub(r"[\s-]+", "_", text.strip().lower())
    if value not in INDEXES:
        raise ValueError(f"unknown index {text!r}; expected one of {', '.join(INDEXES)}")
    return value


def _one_allele(locus: str, raw: str | int | float) -> str:
    allele = canonical_allele(raw)
    if allele == "OL":
        raise ValueError(f"locus {locus}: an off-ladder allele (OL) must be sized before storing")
    if (locus in SEX_LOCI) != (allele in ("X", "Y")):
        expected = "X or Y" if locus in SEX_LOCI else "a repeat number"
        raise ValueError(f"locus {locus}: allele {allele!r} is not {expected}")
    return allele


def locus_alleles(
    raw_locus: str,
    raw_alleles: Sequence[str | int | float],
    *,
    mixture: bool = False,
    max_alleles: int = DEFAULT_MAX_MIXTURE_ALLELES,
) -> tuple[str, Alleles]:
    """The canonical locus name and alleles of one typed locus.

    Parameters
    ----------
    raw_locus
        The locus in any spelling :func:`~signalfire.strstats.loci.canonical_locus` knows.
    raw_alleles
        The alleles seen (at least one).
    mixture
        A mixture keeps each allele once, at most ``max_alleles``; a single source has
        one or two, and one allele means a homozygote.

    Raises
    ------
    ValueError
        Naming the locus: unknown locus, bad allele, too many alleles.

    Examples
    --------
    >>> locus_alleles("VWA", ["17", 16.0])
    ('vWA', ('16', '17'))
    >>> locus_alleles("TH01", ["9.3"])
    ('TH01', ('9.3', '9.3'))
    >>> locus_alleles("FGA", ["21", "22", "24", "21"], mixture=True)
    ('FGA', ('21', '22', '24'))
    >>> locus_alleles("FGA", ["21", "22", "24"])
    Traceback (most recent call last):
    ...
    ValueError: locus FGA: 3 alleles (21, 22, 24) but a single-source profile has at most 2
    """
    locus = canonical_locus(raw_locus)
    try:
        seen = [_one_allele(locus, allele) for allele in raw_alleles]
    except ValueError as error:
        message = str(error)
        prefixed = message if message.startswith("locus") else f"locus {locus}: {message}"
        raise ValueError(prefixed) from None
    distinct = tuple(sorted(set(seen), key=allele_order))
    limit = max_alleles if mixture else 2
    if not distinct:
        raise ValueError(f"locus {locus}: no allele given")
    if len(distinct) > limit:
        what = (
            f"this import keeps at most {limit} per mixture locus"
            if mixture
            else ("a single-source profile has at most 2")
        )
        listed = ", ".join(distinct)
        raise ValueError(f"locus {locus}: {len(distinct)} alleles ({listed}) but {what}")
    if not mixture and len(distinct) == 1:
        return locus, (distinct[0], distinct[0])
    return locus, distinct


def profile_loci(
    raw: Mapping[str, Sequence[str | int | float]],
    *,
    mixture: bool = False,
    max_alleles: int = DEFAULT_MAX_MIXTURE_ALLELES,
) -> Loci:
    """A whole profile, checked with :func:`locus_alleles`; loci with no allele are left out.

    Raises
    ------
    ValueError
        On a bad locus, a locus given twice, or a profile with no typed locus.

    Examples
    --------
    >>> profile_loci({"D3S1358": ["15", "16"], "Amelogenin": ["X", "Y"], "vWA": []})
    {'D3S1358': ('15', '16'), 'AMEL': ('X', 'Y')}
    >>> profile_loci({"vWA": ["17"], "VWA": ["18"]})
    Traceback (most recent call last):
    ...
    ValueError: locus 'VWA' appears twice (as vWA)
    """
    loci: Loci = {}
    for raw_locus, alleles in raw.items():
        if not alleles:
            continue
        locus, canonical = locus_alleles(
            raw_locus, alleles, mixture=mixture, max_alleles=max_alleles
        )
        if locus in loci:
            raise ValueError(f"locus {raw_locus!r} appears twice (as {locus})")
        loci[locus] = canonical
    if not loci:
        raise ValueError("no typed locus")
    return loci


def profile_digest(specimen_id: str, loci: Mapping[str, Sequence[str]], *, mixture: bool) -> str:
    """SHA-256 (hex) of a profile's canonical JSON: what an audit entry keeps of it.

    The digest identifies the profile (a laboratory holding it can recompute it) without
    disclosing its alleles.

    Examples
    --------
    >>> digest = profile_digest("S1", {"TH01": ("6", "9.3")}, mixture=False)
    >>> digest == profile_digest("S1", {"TH01": ["6", "9.3"]}, mixture=False), len(digest)
    (True, 64)
    """
    content = {
        "specimen_id": specimen_id,
        "mixture": mixture,
        "loci": {locus: list(alleles) for locus, alleles in loci.items()},
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
