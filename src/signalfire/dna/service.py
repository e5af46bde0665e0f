"""The DNA profile database: import, read and expunge, each audited (search: ``search_service``).

Every use is tied to a purpose and a case (:class:`Justification`) and lands in the audit
trail with its parameters and the SHA-256 of its result; no event carries alleles.
Profiles belong to the caller's agency and are never seen by another. The matching and
the statistics are the pure code of :mod:`signalfire.strstats.search`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.audit.chain import content_hash
from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.errors import Conflict, Invalid, NotFound
from signalfire.core.events import emit
from signalfire.dna.events import (
    DnaProfileExpunged,
    DnaProfileRead,
    DnaProfilesImported,
    ImportParameters,
)
from signalfire.dna.index_service import profiles_changed
from signalfire.dna.models import DnaProfile
from signalfire.dna.schemas import (
    ImportedProfile,
    ImportReport,
    ProfileImport,
    ProfileRead,
    RejectedRowRead,
)
from signalfire.strstats.importer import (
    ImportFormatError,
    ParsedImport,
    ParsedProfile,
    RejectedRow,
    parse_profiles,
)
from signalfire.strstats.records import SEX_LOCI, profile_digest

RECORD = "dna_profile"
_CHUNK = 500


def agency_of(actor: Actor) -> int:
    """The caller's agency: DNA profiles always belong to one."""
    if actor.agency_id is None:
        raise Invalid("DNA profiles belong to an agency; act as one of its users")
    return actor.agency_id


def case_of(why: Justification) -> str:
    """The case number of the justification, which DNA data requires."""
    if not why.case_number:
        raise Invalid(
            "DNA data is used only for a case: give its number", field="X-Signalfire-Case"
        )
    return why.case_number


def result_digest(result: BaseModel) -> str:
    """SHA-256 of the canonical JSON of what the caller receives (sorted keys, no spaces):
    a client recomputes it from the response body to match the audit entry."""
    return content_hash(result.model_dump(mode="json"))


def read(profile: DnaProfile) -> ProfileRead:
    """The API view of a stored profile."""
    return ProfileRead(
        id=profile.id,
        specimen_id=profile.specimen_id,
        case_number=profile.case_number,
        index=profile.dna_index,  # checked when stored
        mixture=profile.mixture,
        loci=profile.loci,
        locus_count=profile.locus_count,
        created_at=profile.created_at,
    )


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _not_stored(
    db: Session, agency_id: int, parsed: list[ParsedProfile]
) -> tuple[list[ParsedProfile], list[RejectedRow]]:
    """The parsed profiles whose specimen id is new to the agency, and the others refused."""
    stored: dict[str, int] = {}
    for chunk in _chunks([p.specimen_id for p in parsed]):
        query = select(DnaProfile.specimen_id, DnaProfile.id).where(
            DnaProfile.agency_id == agency_id, DnaProfile.specimen_id.in_(chunk)
        )
        stored.update(dict(db.execute(query).all()))
    fresh = [p for p in parsed if p.specimen_id not in stored]
    refused = [
        RejectedRow(
            p.line, p.specimen_id, f"specimen id already stored (profile {stored[p.specimen_id]})"
        )
        for p in parsed
        if p.specimen_id in stored
    ]
    return fresh, refused


def _row(actor: Actor, agency_id: int, parsed: ParsedProfile, mixture: bool) -> DnaProfile:
    return DnaProfile(
        agency_id=agency_id,
        specimen_id=parsed.specimen_id,
        case_number=parsed.case_number,
        dna_index=parsed.index,
        mixture=mixture,
        loci={locus: list(alleles) for locus, alleles in parsed.loci.items()},
        locus_count=sum(1 for locus in parsed.loci if locus not in SEX_LOCI),
        created_at=clock.now(),
        created_by=actor.user_id,
    )


def _report(
    parsed: ParsedImport, stored: list[tuple[DnaProfile, ParsedProfile]], refused: list[RejectedRow]
) -> ImportReport:
    rejected = sorted(parsed.rejected + refused, key=lambda row: row.line)
    return ImportReport(
        layout=parsed.layout,
        accepted=len(stored),
        profiles=[
            ImportedProfile(id=row.id, specimen_id=p.specimen_id, line=p.line) for row, p in stored
        ],
        rejected=[
            RejectedRowRead(line=r.line, specimen_id=r.specimen_id, reason=r.reason)
            for r in rejected
        ],
        ignored_columns=parsed.ignored_columns,
    )


def parse_import(*, actor: Actor, why: Justification, data: ProfileImport) -> ParsedImport:
    """Read and check a CSV export, touching no database: callers run it before their
    transaction opens, so a large or hostile file holds no lock while it is read.

    Raises :class:`Invalid` (422) for a file that cannot be imported at all, naming the
    line and column (a limit of :mod:`signalfire.strstats.limits`, a bad header).
    """
    agency_of(actor)
    try:
        return parse_profiles(
            data.csv,
            index=data.index,
            case_number=case_of(why),
            mixture=data.mixture,
            max_alleles=data.max_alleles,
        )
    except ImportFormatError as error:
        raise Invalid(str(error), field="csv") from None


def import_profiles(
    *, db: Session, actor: Actor, why: Justification, data: ProfileImport, parsed: ParsedImport
) -> ImportReport:
    """Store the good rows of ``parsed`` (:func:`parse_import` of ``data``) in one go;
    report every rejected line.

    All accepted rows are stored, or none: should the database refuse one (a specimen
    id stored meanwhile by another import), the whole import fails with 409.
    """
    agency_id, case = agency_of(actor), case_of(why)
    fresh, refused = _not_stored(db, agency_id, parsed.profiles)
    rows = [_row(actor, agency_id, p, data.mixture) for p in fresh]
    db.add_all(rows)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(
            "the database refused the import (a specimen id was stored meanwhile); "
            "nothing was imported: send it again"
        ) from None
    if rows:
        profiles_changed(db, agency_id, added=[row.id for row in rows])
    report = _report(parsed, list(zip(rows, fresh, strict=True)), refused)
    emit(
        db,
        DnaProfilesImported(
            actor=actor.ref(),
            agency_id=agency_id,
            record_type=RECORD,
            purpose=why.purpose,
            case_number=case,
            parameters=ImportParameters.model_validate(data.model_dump(exclude={"csv"})),
            csv_sha256=content_hash({"csv": data.csv}),
            accepted=report.accepted,
            rejected=len(report.rejected),
            result_sha256=result_digest(report),
        ),
    )
    return report


def get(*, db: Session, agency_id: int, profile_id: int) -> DnaProfile:
    """A stored profile of ``agency_id``, or 404 (other agencies' profiles do not exist)."""
    profile = db.get(DnaProfile, profile_id)
    if profile is None or profile.agency_id != agency_id:
        raise NotFound(f"no DNA profile with id {profile_id}")
    return profile


def get_by_specimen(*, db: Session, agency_id: int, specimen_id: str) -> DnaProfile:
    """The agency's stored profile with ``specimen_id``, or 404."""
    query = select(DnaProfile).where(
        DnaProfile.agency_id == agency_id, DnaProfile.specimen_id == specimen_id
    )
    profile = db.scalars(query).first()
    if profile is None:
        raise NotFound(f"no stored DNA profile with specimen id {specimen_id!r}")
    return profile


def read_profile(*, db: Session, actor: Actor, why: Justification, profile_id: int) -> ProfileRead:
    """One stored profile of the caller's agency (the read is audited)."""
    agency_id, case = agency_of(actor), case_of(why)
    view = read(get(db=db, agency_id=agency_id, profile_id=profile_id))
    emit(
        db,
        DnaProfileRead(
            actor=actor.ref(),
            agency_id=agency_id,
            record_type=RECORD,
            record_id=str(profile_id),
            purpose=why.purpose,
            case_number=case,
            specimen_id=view.specimen_id,
            result_sha256=result_digest(view),
        ),
    )
    return view


def expunge(*, db: Session, actor: Actor, why: Justification, profile_id: int) -> None:
    """Delete a profile for good; the audit entry keeps its specimen id and digest only."""
    agency_id, case = agency_of(actor), case_of(why)
    profile = get(db=db, agency_id=agency_id, profile_id=profile_id)
    event = DnaProfileExpunged(
        actor=actor.ref(),
        agency_id=agency_id,
        record_type=RECORD,
        record_id=str(profile_id),
        purpose=why.purpose,
        case_number=case,
        specimen_id=profile.specimen_id,
        profile_case_number=profile.case_number,
        index=profile.dna_index,
        profile_sha256=profile_digest(profile.specimen_id, profile.loci, mixture=profile.mixture),
    )
    db.delete(profile)
    db.flush()
    profiles_changed(db, agency_id, removed=[profile_id])
    emit(db, event)
