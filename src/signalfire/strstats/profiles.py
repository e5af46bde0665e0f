"""The inputs of the statistics (profiles, allele frequencies, theta), checked.

A profile is ``{locus: (allele1, allele2)}`` with alleles as strings; a homozygote repeats
its allele. The statistics functions accept such plain mappings and call
:func:`canonical_profile` on them, so every error names the locus and the person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.loci import canonical_allele, canonical_locus

__all__ = [
    "Genotype",
    "Profile",
    "allele_frequency",
    "allele_order",
    "canonical_profile",
    "check_theta",
    "frequency_lookup",
    "shared_loci",
]

Genotype = tuple[str, str]
Profile = Mapping[str, Genotype]


def allele_order(allele: str) -> tuple[int, float, str]:
    """Sort key: repeat numbers in numeric order, then other designations alphabetically."""
    try:
        return (0, float(allele), allele)
    except ValueError:
        return (1, 0.0, allele)


def canonical_profile(profile: Profile, *, who: str = "profile") -> dict[str, Genotype]:
    """The profile with canonical locus names and alleles, each pair in sorted order.

    Parameters
    ----------
    profile
        ``{locus: (allele1, allele2)}``.
    who
        How errors name this profile (``"child"``, ``"mother"``...).

    Raises
    ------
    ValueError
        If a locus is unknown or repeated, or a genotype is not two alleles.

    Examples
    --------
    >>> canonical_profile({"VWA": ("17", "9"), "THO1": ("9.3", "9.30")})
    {'vWA': ('9', '17'), 'TH01': ('9.3', '9.3')}
    """
    out: dict[str, Genotype] = {}
    for raw_locus, pair in profile.items():
        try:
            locus = canonical_locus(raw_locus)
        except ValueError as error:
            raise ValueError(f"{who}: {error}") from None
        if locus in out:
            raise ValueError(f"{who}: locus {raw_locus!r} appears twice (as {locus})")
        if isinstance(pair, str) or len(pair) != 2:
            raise ValueError(f"{who}, locus {locus}: expected two alleles, got {pair!r}")
        try:
            alleles = (canonical_allele(pair[0]), canonical_allele(pair[1]))
        except ValueError as error:
            raise ValueError(f"{who}, locus {locus}: {error}") from None
        first, second = sorted(alleles, key=allele_order)
        out[locus] = (first, second)
    return out


def shared_loci(table: FrequencyTable, *profiles: Mapping[str, Genotype]) -> list[str]:
    """Loci typed in every (canonical) profile and present in the table, in table order."""
    return [locus for locus in table.loci if all(locus in p for p in profiles)]


def allele_frequency(table: FrequencyTable, locus: str, allele: str) -> float:
    """``table.freq``, refusing a zero frequency (it would make a likelihood ratio infinite)."""
    value = table.freq(locus, allele)
    if value <= 0.0:
        raise ValueError(
            f"locus {locus}: allele {allele} has frequency 0; give the table a sample size so "
            "the 5/(2N) minimum applies"
        )
    return value


def frequency_lookup(table: FrequencyTable, locus: str) -> Callable[[str], float]:
    """``allele -> allele_frequency(table, locus, allele)`` for one locus."""

    def lookup(allele: str) -> float:
        return allele_frequency(table, locus, allele)

    return lookup


def check_theta(theta: float) -> float:
    """``theta`` (the coancestry coefficient F_ST) as a float, refusing values outside [0, 1)."""
    if isinstance(theta, bool) or not isinstance(theta, int | float):
        raise TypeError("theta must be a number")
    if not 0.0 <= theta < 1.0:
        raise ValueError(f"theta must be in [0, 1), got {theta!r}")
    return float(theta)
