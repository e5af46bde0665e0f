"""Arranging DNA analysts and writing profiles and frequency tables as laboratory CSV."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from signalfire.core.auth.permissions import Role
from signalfire.dna.frequencies import FrequencyTable
from signalfire.dna.profiles import allele_order
from tests.conftest import World, bearer

Headers = dict[str, str]
Person = Mapping[str, tuple[str, str]]
CASE = "2026-0042"
WHY = {"X-Signalfire-Purpose": "compare the crime-scene sample", "X-Signalfire-Case": CASE}


@dataclass(frozen=True)
class Lab:
    """An agency with a DNA analyst (headers state purpose and case) and a dispatcher."""

    agency_id: int
    analyst: Headers
    dispatcher: Headers


def lab(world: World, code: str) -> Lab:
    agency = world.agency(code, kind="police")
    prefix = code.lower()
    analyst = world.user(f"{prefix}.dna", agency, [Role.DNA_ANALYST], password=None)
    dispatcher = world.user(f"{prefix}.dispatcher", agency, [Role.DISPATCHER], password=None)
    return Lab(
        agency_id=agency.id,
        analyst={**bearer(world.token(analyst)), **WHY},
        dispatcher={**bearer(world.token(dispatcher)), **WHY},
    )


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
