"""Arranging DNA analysts and writing profiles and frequency tables as laboratory CSV."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from signalfire.accounts.models import Agency
from signalfire.core.auth.permissions import Role
from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.profiles import allele_order
from tests.conftest import World, bearer

Headers = dict[str, str]
Person = Mapping[str, tuple[str, str]]
CASE = "2026-0042"
WHY = {"X-Signalfire-Purpose": "compare the crime-scene sample", "X-Signalfire-Case": CASE}


@dataclass(frozen=True)
class Lab:
    """An agency with a DNA analyst (headers state purpose and case) and a dispatcher."""

    agency: Agency
    analyst: Headers
    dispatcher: Headers

    @property
    def agency_id(self) -> int:
        return self.agency.id


def lab(world: World, code: str) -> Lab:
    agency = world.agency(code, kind="police")
    prefix = code.lower()
    return Lab(
        agency=agency,
        analyst=colleague(world, agency, f"{prefix}.dna", Role.DNA_ANALYST),
        dispatcher=colleague(world, agency, f"{prefix}.dispatcher", Role.DISPATCHER),
    )


def colleague(world: World, agency: Agency, username: str, *roles: Role) -> Headers:
    """Headers of a new user of ``agency`` with ``roles`` (stating purpose and case)."""
    user = world.user(username, agency, list(roles), password=None)
    return {**bearer(world.token(user)), **WHY}


def wide_csv(people: Mapping[str, Person], loci: Iterable[str] | None = None) -> str:
    """``Sample,<L>_1,<L>_2,...``: one row per person, empty cells where untyped."""
    names = list(loci) if loci is not None else sorted({k for p in people.values() for k in p})
    header = ["Sample"] + [f"{locus}_{n}" for locus in names for n in (1, 2)]
    lines = [",".join(header)]
    for sample, person in people.items():
        cells = [sample]
        for locus in names:
            cells.extend(person.get(locus, ("", "")))
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def frequency_csv(table: FrequencyTable) -> str:
    """``Allele,<locus>,...`` with one row per allele and an ``N`` row."""
    loci = list(table.loci)
    alleles = sorted({a for locus in loci for a in table.alleles(locus)}, key=allele_order)
    lines = [",".join(["Allele", *loci])]
    for allele in alleles:
        cells = [str(table.alleles(locus).get(allele, "")) for locus in loci]
        lines.append(",".join([allele, *cells]))
    lines.append(",".join(["N", *(str(table.n[locus]) for locus in loci)]))
    return "\n".join(lines) + "\n"
