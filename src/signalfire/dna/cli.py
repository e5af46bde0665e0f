"""``signalfire dna``: import, search, statistics, kinship and DVI from the command line.

Commands that touch the profile database act as a named user (``--as``), who must hold
the permission, and state a purpose and a case; they are audited exactly like the API.
``stats`` and ``kinship`` work on files alone (a profile CSV and a frequency CSV) and
read nothing from the database.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from signalfire.accounts import service as accounts
from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.auth.permissions import Perm, Role
from signalfire.core.cli_support import fail, runtime, unit_of_work
from signalfire.core.errors import DomainError
from signalfire.dna import frequency_service, identification, search_service, service
from signalfire.dna.report import lr_text
from signalfire.dna.schemas import (
    DviRequest,
    FamilyCreate,
    FrequencyImport,
    ProfileImport,
    SearchRequest,
)
from signalfire.strstats.frequencies import FrequencyTable, read_frequency_csv
from signalfire.strstats.importer import ImportFormatError, parse_profiles
from signalfire.strstats.kinship import ibd_coefficients, locus_kinship_index
from signalfire.strstats.profiles import Genotype, canonical_profile, frequency_lookup, shared_loci
from signalfire.strstats.records import INDEXES, SEX_LOCI
from signalfire.strstats.stats import genotype_match_probability

app = typer.Typer(
    help="Forensic DNA: import profiles, search, statistics, kinship, DVI.",
    no_args_is_help=True,
)
out = Console()

AsUser = Annotated[str, typer.Option("--as", help="Your username; you must hold the permission.")]
Purpose = Annotated[str, typer.Option(help="Why you use the data (kept in the audit trail).")]
Case = Annotated[str, typer.Option(help="The case number (kept in the audit trail).")]
TableName = Annotated[str, typer.Option("--table", help="A stored frequency table's name.")]
FrequencyFile = Annotated[
    Path, typer.Option("--frequencies", help="Allele-by-locus frequency CSV (Allele,<locus>,...).")
]


def _actor(db: Session, username: str, perm: Perm) -> Actor:
    user = accounts.get_user_by_name(db=db, username=username)
    actor = Actor(user.id, user.username, user.agency_id, frozenset(map(Role, user.roles)), "cli")
    if not user.is_active or not actor.can(perm):
        fail(f"error: {username} may not do this (needs the {perm.value} permission)")
        raise typer.Exit(1)
    return actor


@contextmanager
def _refused() -> Iterator[None]:
    """A refused input (a domain error, invalid options) as a message and exit code 1."""
    try:
        yield
    except DomainError as error:
        fail(f"error: {error.detail}")
        raise typer.Exit(1) from error
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        fail(f"error: {problems}")
        raise typer.Exit(1) from error


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"error: cannot read {path}: {error}")
        raise typer.Exit(2) from error


@app.command("import")
def import_profiles(
    file: Annotated[Path, typer.Argument(help="A laboratory CSV export (either layout).")],
    index: Annotated[str, typer.Option(help=f"Index of rows without one: {', '.join(INDEXES)}.")],
    as_user: AsUser,
    purpose: Purpose,
    case: Case,
    mixture: Annotated[bool, typer.Option(help="The samples are mixtures.")] = False,
) -> None:
    """Store the good rows of a CSV export; list every rejected line and why."""
    rt, why = runtime(), Justification(purpose, case)
    with unit_of_work(rt) as db:
        actor = _actor(db, as_user, Perm.DNA_WRITE)
    # Read and check the file between two transactions, so that it holds no lock.
    with out.status(f"reading {file.name}"), _refused():
        data = ProfileImport.model_validate(
            {"csv": _text(file), "index": index, "mixture": mixture}
        )
        parsed = service.parse_import(actor=actor, why=why, data=data)
    with out.status(f"importing {file.name}"), unit_of_work(rt) as db:
        report = service.import_profiles(db=db, actor=actor, why=why, data=data, parsed=parsed)
    out.print(f"{report.accepted} profiles stored ({report.layout} layout)", highlight=False)
    for row in report.rejected:
        out.print(f"line {row.line}: {row.specimen_id or '-'}: {row.reason}", highlight=False)
    if report.ignored_columns:
        out.print(f"ignored columns: {', '.join(report.ignored_columns)}", highlight=False)


@app.command()
def frequencies(
    file: Annotated[Path, typer.Argument(help="Allele-by-locus frequency CSV.")],
    name: Annotated[str, typer.Option(help="Name to store it under.")],
    population: Annotated[str, typer.Option(help="The population sampled.")],
    as_user: AsUser,
) -> None:
    """Store an allele frequency table for the statistics of searches."""
    rt = runtime()
    with unit_of_work(rt) as db:
        actor = _actor(db, as_user, Perm.DNA_WRITE)
    with _refused():  # read and checked outside any transaction
        data = FrequencyImport(name=name, population=population, csv=_text(file))
        table = frequency_service.parse_table(actor=actor, data=data)
    with unit_of_work(rt) as db:
        stored = frequency_service.import_table(db=db, actor=actor, data=data, table=table)
    out.print(f"stored {stored.name}: {len(stored.loci)} loci", highlight=False)


@app.command()
def search(
    specimen: Annotated[str, typer.Argument(help="Specimen id of a stored profile.")],
    as_user: AsUser,
    purpose: Purpose,
    case: Case,
    stringency: Annotated[str, typer.Option(help="exact, high, moderate or low.")] = "high",
    min_loci: Annotated[int, typer.Option(help="Shared loci a candidate needs.")] = 10,
    table: Annotated[str | None, typer.Option(help="Frequency table for the LR.")] = None,
    report: Annotated[
        Path | None, typer.Option(help="Also write the printable HTML match report here.")
    ] = None,
) -> None:
    """Search the profile database for a stored profile; candidates ranked by LR."""
    with unit_of_work(runtime()) as db:
        actor = _actor(db, as_user, Perm.DNA_SEARCH)
        why = Justification(purpose, case)
        profile = service.get_by_specimen(
            db=db, agency_id=service.agency_of(actor), specimen_id=specimen
        )
        data = SearchRequest.model_validate(
            {
                "profile_id": profile.id,
                "stringency": stringency,
                "min_loci": min_loci,
                "frequency_table": table,
            }
        )
        result = search_service.search(db=db, actor=actor, why=why, data=data)
        html = search_service.report(db=db, actor=actor, why=why, data=data) if report else None
    grid = Table(title=f"{len(result.candidates)} candidate(s) of {result.searched} compared")
    for column in ("specimen", "index", "case", "shared loci", "LR"):
        grid.add_column(column)
    for c in result.candidates:
        row = (c.specimen_id, c.index, c.case_number, str(c.shared_loci), lr_text(c.log10_lr))
        grid.add_row(*row)
    out.print(grid)
    if report is not None and html is not None:
        report.write_text(html, encoding="utf-8")
        out.print(f"match report: {report}", highlight=False)


def _profiles(path: Path) -> dict[str, dict[str, Genotype]]:
    try:
        parsed = parse_profiles(_text(path), index="forensic_unknown", case_number="-")
        people = {
            p.specimen_id: canonical_profile(
                {lo: (a[0], a[-1]) for lo, a in p.loci.items() if lo not in SEX_LOCI},
                who=p.specimen_id,
            )
            for p in parsed.profiles
        }
    except (ImportFormatError, ValueError) as error:
        fail(f"error: {path}: {error}")
        raise typer.Exit(2) from error
    for row in parsed.rejected:
        fail(f"{path}: line {row.line}: {row.reason}")
    return people


def _table(path: Path) -> FrequencyTable:
    try:
        return read_frequency_csv(_text(path))
    except (ValueError, KeyError) as error:
        fail(f"error: {path}: {error}")
        raise typer.Exit(2) from error


def _match_probability(
    genotype: Genotype, table: FrequencyTable, locus: str, theta: float, formula: str
) -> float:
    first, second = genotype
    p = frequency_lookup(table, locus)
    q = None if first == second else p(second)
    return genotype_match_probability(p(first), q, theta=theta, formula=formula)


@app.command()
def stats(
    profiles: Annotated[Path, typer.Argument(help="Profile CSV (one or more samples).")],
    frequency_files: Annotated[
        list[Path],
        typer.Option(
            "--frequencies",
            help="Allele-by-locus frequency CSV; repeat it to see populations side by side.",
        ),
    ],
    theta: Annotated[float, typer.Option(help="Coancestry coefficient (F_ST).")] = 0.0,
    formula: Annotated[str, typer.Option(help="product, nrc4.1 or nrc4.10.")] = "product",
) -> None:
    """Random match probability of each profile in a CSV, locus by locus, in one or more
    populations (files only)."""
    if formula not in ("product", "nrc4.1", "nrc4.10"):
        fail(f"error: --formula must be product, nrc4.1 or nrc4.10, not {formula!r}")
        raise typer.Exit(2)
    people = _profiles(profiles)
    tables = {path.stem: _table(path) for path in frequency_files}
    for specimen, genotypes in people.items():
        grid = Table(title=f"{specimen}: random match probability ({formula}, θ={theta:g})")
        for column in ("locus", "genotype", *tables):
            grid.add_column(column)
        totals = dict.fromkeys(tables, 1.0)
        for locus, genotype in genotypes.items():
            cells = []
            for name, table in tables.items():
                if locus not in table:
                    cells.append("not in table")
                    continue
                probability = _match_probability(genotype, table, locus, theta, formula)
                totals[name] *= probability
                cells.append(f"{probability:.4g}")
            grid.add_row(locus, ", ".join(genotype), *cells)
        grid.add_row(
            "all", "", *(f"{t:.4g} (1 in {lr_text(-math.log10(t))})" for t in totals.values())
        )
        out.print(grid)


@app.command()
def kinship(
    profiles: Annotated[Path, typer.Argument(help="Profile CSV holding both samples.")],
    first: Annotated[str, typer.Argument(help="Specimen id of one person.")],
    second: Annotated[str, typer.Argument(help="Specimen id of the other.")],
    frequency_file: FrequencyFile,
    relationship: Annotated[
        str, typer.Option(help="parent-child, full-sib, half-sib, avuncular, grandparent, ...")
    ] = "full-sib",
    theta: Annotated[float, typer.Option(help="Coancestry coefficient (F_ST).")] = 0.0,
) -> None:
    """Kinship index of two profiles, locus by locus (files only)."""
    people, table = _profiles(profiles), _table(frequency_file)
    missing = [s for s in (first, second) if s not in people]
    if missing:
        fail(f"error: {profiles} has no sample {', '.join(missing)}")
        raise typer.Exit(2)
    a, b = people[first], people[second]
    k = ibd_coefficients(relationship)
    grid = Table(title=f"{first} and {second}: {relationship} vs unrelated")
    for column in ("locus", first, second, "KI"):
        grid.add_column(column)
    total = 1.0
    for locus in shared_loci(table, a, b):
        value = locus_kinship_index(
            a[locus], b[locus], k, frequency_lookup(table, locus), theta=theta
        )
        total *= value
        grid.add_row(locus, ", ".join(a[locus]), ", ".join(b[locus]), f"{value:.4g}")
    grid.add_row("all", "", "", f"{total:.4g}")
    out.print(grid)


@app.command()
def family(
    file: Annotated[
        Path,
        typer.Argument(
            help='JSON: {"label", "members": [{"id", "father", "mother", '
            '"sex", "specimen_id"}], "missing"}.'
        ),
    ],
    as_user: AsUser,
    purpose: Purpose,
    case: Case,
) -> None:
    """Store a reference family (a pedigree of labelled members) for a missing-persons case."""
    try:
        data = FamilyCreate.model_validate_json(_text(file))
    except ValidationError as error:
        fail(f"error: {file}: {error}")
        raise typer.Exit(2) from error
    with unit_of_work(runtime()) as db:
        actor = _actor(db, as_user, Perm.DNA_WRITE)
        stored = identification.create_family(
            db=db, actor=actor, why=Justification(purpose, case), data=data
        )
    out.print(f"stored family {stored.label} (id {stored.id})", highlight=False)


@app.command()
def dvi(
    as_user: AsUser,
    purpose: Purpose,
    case: Case,
    table: TableName,
    threshold: Annotated[float, typer.Option(help="LR that proposes an identification.")] = 1e4,
) -> None:
    """Every unidentified-remains profile of the case against every family of the case."""
    with out.status("comparing victims with families"), unit_of_work(runtime()) as db:
        actor = _actor(db, as_user, Perm.DNA_SEARCH)
        result = identification.run_dvi(
            db=db,
            actor=actor,
            why=Justification(purpose, case),
            data=DviRequest(frequency_table=table, threshold=threshold),
        )
    labels = {f.id: f.label for f in result.families}
    grid = Table(title=f"case {case}: LR that the victim is the family's missing member")
    grid.add_column("victim")
    for family in result.families:
        grid.add_column(family.label)
    specimens = {v.profile_id: v.specimen_id for v in result.victims}
    for victim in result.victims:
        cells = [c for c in result.matrix if c.victim_id == victim.profile_id]
        grid.add_row(
            victim.specimen_id,
            *("excluded" if c.excluded else lr_text(c.log10_lr) for c in cells),
        )
    out.print(grid)
    for c in result.identifications:
        out.print(
            f"proposed: {specimens[c.victim_id]} is the missing member of "
            f"{labels[c.family_id]} (LR {lr_text(c.log10_lr)})",
            highlight=False,
        )
    if not result.identifications:
        out.print(f"no identification reaches LR {threshold:g}", highlight=False)
