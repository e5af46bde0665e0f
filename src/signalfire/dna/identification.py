"""Missing persons and disaster-victim identification: reference families and the DVI run.

A family is stored with its case: a pedigree whose members carry labels, not names, and
point to reference profiles stored in the ``relative_of_missing_person`` index. A DVI run
compares every ``unidentified_remains`` profile of the case with every family of the case
(:func:`signalfire.strstats.dvi.dvi_matrix`), and is audited with the hash of its result. A
reference profile expunged later simply leaves its member untyped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.errors import Conflict, Invalid
from signalfire.core.events import emit
from signalfire.dna.events import DnaFamilyStored, DnaIdentificationRun
from signalfire.dna.frequency_service import frequency_table
from signalfire.dna.models import DnaFamily, DnaProfile
from signalfire.dna.schemas import (
    DviCellRead,
    DviFamilyRead,
    DviRequest,
    DviResult,
    DviVictimRead,
    FamilyCreate,
    FamilyMemberIn,
    FamilyRead,
)
from signalfire.dna.service import RECORD, agency_of, case_of, result_digest
from signalfire.strstats.dvi import DviCell, Family, dvi_matrix, identifications
from signalfire.strstats.profiles import Genotype
from signalfire.strstats.records import SEX_LOCI

RELATIVES = "relative_of_missing_person"
REMAINS = "unidentified_remains"


def read_family(row: DnaFamily) -> FamilyRead:
    """The API view of a stored family."""
    return FamilyRead(
        id=row.id,
        label=row.label,
        case_number=row.case_number,
        members=[FamilyMemberIn.model_validate(m) for m in row.members],
        missing=row.missing,
        created_at=row.created_at,
    )


def _profiles(
    db: Session, agency_id: int, *, specimens: Sequence[str] = (), case: str | None = None
) -> list[DnaProfile]:
    query = select(DnaProfile).where(DnaProfile.agency_id == agency_id)
    if specimens:
        query = query.where(DnaProfile.specimen_id.in_(specimens))
    if case is not None:
        query = query.where(DnaProfile.case_number == case, DnaProfile.dna_index == REMAINS)
    return list(db.scalars(query.order_by(DnaProfile.id)))


def _check_references(db: Session, agency_id: int, data: FamilyCreate) -> list[str]:
    wanted = [m.specimen_id for m in data.members if m.specimen_id]
    found = {p.specimen_id: p for p in _profiles(db, agency_id, specimens=wanted)}
    for specimen in wanted:
        profile = found.get(specimen)
        if profile is None:
            raise Invalid(f"no stored profile with specimen id {specimen!r}", field="members")
        if profile.dna_index != RELATIVES:
            raise Invalid(
                f"specimen {specimen!r} is in the {profile.dna_index} index; reference "
                f"profiles of a family belong in {RELATIVES}",
                field="members",
            )
        if profile.mixture:
            raise Invalid(f"specimen {specimen!r} is a mixture", field="members")
    return wanted


def create_family(
    *, db: Session, actor: Actor, why: Justification, data: FamilyCreate
) -> FamilyRead:
    """Store a reference family for the case named by ``why``."""
    agency_id, case = agency_of(actor), case_of(why)
    references = _check_references(db, agency_id, data)
    row = DnaFamily(
        agency_id=agency_id,
        case_number=case,
        label=data.label,
        members=[m.model_dump() for m in data.members],
        missing=data.missing,
        created_at=clock.now(),
        created_by=actor.user_id,
    )
    db.add(row)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(f"a family labelled {data.label!r} exists; choose another label") from None
    emit(
        db,
        DnaFamilyStored(
            actor=actor.ref(),
            agency_id=agency_id,
            record_type="dna_family",
            record_id=str(row.id),
            purpose=why.purpose,
            case_number=case,
            label=row.label,
            members=len(data.members),
            reference_specimens=references,
        ),
    )
    return read_family(row)


def list_families(*, db: Session, actor: Actor, why: Justification) -> list[FamilyRead]:
    """The families of the case named by ``why``."""
    agency_id, case = agency_of(actor), case_of(why)
    query = select(DnaFamily).where(DnaFamily.agency_id == agency_id, DnaFamily.case_number == case)
    return [read_family(row) for row in db.scalars(query.order_by(DnaFamily.id))]


def _genotypes(profile: DnaProfile) -> dict[str, Genotype]:
    return {lo: (a[0], a[-1]) for lo, a in profile.loci.items() if lo not in SEX_LOCI and a}


def _family(db: Session, agency_id: int, row: DnaFamily) -> Family:
    members = {m["specimen_id"]: str(m["id"]) for m in row.members if m.get("specimen_id")}
    stored = _profiles(db, agency_id, specimens=[s for s in members if s])
    references = {members[p.specimen_id]: _genotypes(p) for p in stored}
    pedigree = [{k: m.get(k) for k in ("id", "father", "mother", "sex")} for m in row.members]
    return Family(pedigree, row.missing, references)


def _cell(cell: DviCell[int, int]) -> DviCellRead:
    return DviCellRead(
        victim_id=cell.victim,
        family_id=cell.family,
        lr=None if math.isinf(cell.lr) else cell.lr,
        log10_lr=None if cell.excluded else cell.log10_lr,
        excluded=cell.excluded,
        excluding_loci=list(cell.excluding_loci),
        loci=cell.loci,
    )


def run_dvi(*, db: Session, actor: Actor, why: Justification, data: DviRequest) -> DviResult:
    """Every unidentified-remains profile of the case against every family of the case."""
    agency_id, case = agency_of(actor), case_of(why)
    victims = [p for p in _profiles(db, agency_id, case=case) if not p.mixture]
    families = list(
        db.scalars(
            select(DnaFamily)
            .where(DnaFamily.agency_id == agency_id, DnaFamily.case_number == case)
            .order_by(DnaFamily.id)
        )
    )
    if not victims:
        raise Invalid(f"case {case} has no single-source {REMAINS} profiles to identify")
    if not families:
        raise Invalid(f"case {case} has no reference families: POST /api/dna/families")
    table = frequency_table(db, agency_id=agency_id, name=data.frequency_table)
    try:
        cells = dvi_matrix(
            {v.id: _genotypes(v) for v in victims},
            {f.id: _family(db, agency_id, f) for f in families},
            table,
            mutation=data.mutation,
        )
    except (ValueError, KeyError) as error:
        raise Invalid(f"DVI: {error}") from None
    found = identifications(cells, threshold=data.threshold)
    result = DviResult(
        case_number=case,
        frequency_table=data.frequency_table,
        threshold=data.threshold,
        victims=[DviVictimRead(profile_id=v.id, specimen_id=v.specimen_id) for v in victims],
        families=[DviFamilyRead(id=f.id, label=f.label) for f in families],
        matrix=[_cell(c) for c in cells],
        identifications=[_cell(c) for c in found],
    )
    emit(
        db,
        DnaIdentificationRun(
            actor=actor.ref(),
            agency_id=agency_id,
            record_type=RECORD,
            purpose=why.purpose,
            case_number=case,
            parameters=data,
            victims=len(victims),
            families=len(families),
            identifications=[[c.victim, c.family] for c in found],
            result_sha256=result_digest(result),
        ),
    )
    return result
