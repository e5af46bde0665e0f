"""Familial search: off by default, switched on per agency, every run approved.

An administrator switches the agency's familial search on (audited, with a reason); a
DNA supervisor approves one run for a case and a stored query specimen, for a limited
time; an analyst other than the approver runs it, stating that case. The run ranks the
agency's single-source profiles (offenders and arrestees by default) by kinship index with
the query (:meth:`~signalfire.strstats.index.ProfileIndex.kinship_scan`), with the per-locus
breakdown of each lead, and is audited with its parameters and the hash of its result.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.errors import Conflict, Forbidden, Invalid, NotFound
from signalfire.core.events import emit
from signalfire.dna.events import DnaFamilialApproved, DnaFamilialSearched, DnaFamilialSwitched
from signalfire.dna.frequency_service import frequency_table
from signalfire.dna.index_service import agency_settings, profile_index
from signalfire.dna.models import DnaAgencySettings, DnaFamilialApproval, DnaProfile
from signalfire.dna.schemas import (
    FamilialApprovalCreate,
    FamilialApprovalRead,
    FamilialSearchRequest,
    FamilialSearchResult,
    FamilialSettingsRead,
    FamilialSwitch,
    KinshipCandidateRead,
    KinshipLocusRead,
)
from signalfire.dna.service import RECORD, agency_of, case_of, get_by_specimen, result_digest
from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.index import KinshipHit
from signalfire.strstats.kinship import ibd_coefficients, locus_kinship_index
from signalfire.strstats.profiles import Genotype, canonical_profile, frequency_lookup
from signalfire.strstats.records import SEX_LOCI


def _settings_view(row: DnaAgencySettings) -> FamilialSettingsRead:
    return FamilialSettingsRead(
        familial_search=row.familial_search, changed_at=row.changed_at, changed_by=row.changed_by
    )


def read_settings(*, db: Session, actor: Actor) -> FamilialSettingsRead:
    """Whether familial search is on for the caller's agency."""
    return _settings_view(agency_settings(db, agency_of(actor)))


def switch(*, db: Session, actor: Actor, data: FamilialSwitch) -> FamilialSettingsRead:
    """Switch familial search on or off for the caller's agency (audited with the reason)."""
    agency_id = agency_of(actor)
    row = agency_settings(db, agency_id, lock=True)
    row.familial_search = data.enabled
    row.changed_at, row.changed_by = clock.now(), actor.user_id
    db.flush()
    emit(
        db,
        DnaFamilialSwitched(
            actor=actor.ref(),
            agency_id=agency_id,
            record_type="dna_agency_settings",
            record_id=str(agency_id),
            enabled=data.enabled,
            reason=data.reason,
        ),
    )
    return _settings_view(row)


def approve(*, db: Session, actor: Actor, data: FamilialApprovalCreate) -> FamilialApprovalRead:
    """Record leave for one familial search of a stored specimen in a case."""
    agency_id = agency_of(actor)
    if not agency_settings(db, agency_id).familial_search:
        raise Conflict(
            "familial search is switched off for this agency; an administrator "
            "switches it on first (PUT /api/dna/familial/settings)"
        )
    get_by_specimen(db=db, agency_id=agency_id, specimen_id=data.specimen_id)
    now = clock.now()
    row = DnaFamilialApproval(
        agency_id=agency_id,
        case_number=data.case_number,
        specimen_id=data.specimen_id,
        reason=data.reason,
        approved_by=actor.user_id,
        approved_at=now,
        expires_at=now + timedelta(days=data.valid_days),
    )
    db.add(row)
    db.flush()
    view = FamilialApprovalRead.model_validate(row)
    emit(
        db,
        DnaFamilialApproved(
            actor=actor.ref(),
            agency_id=agency_id,
            record_type="dna_familial_approval",
            record_id=str(row.id),
            case_number=data.case_number,
            specimen_id=data.specimen_id,
            reason=data.reason,
            expires_at=view.expires_at.isoformat(),
        ),
    )
    return view


def _approval(
    db: Session, actor: Actor, agency_id: int, case: str, approval_id: int
) -> DnaFamilialApproval:
    """The approval a run cites, refused unless it is valid for this case and this analyst."""
    if not agency_settings(db, agency_id).familial_search:
        raise Forbidden("familial search is switched off for this agency")
    approval = db.get(DnaFamilialApproval, approval_id)
    if approval is None or approval.agency_id != agency_id:
        raise NotFound(f"no familial search approval with id {approval_id}")
    if approval.case_number != case:
        raise Forbidden(f"approval {approval_id} is for case {approval.case_number}, not {case}")
    if approval.expires_at <= clock.now():
        raise Forbidden(f"approval {approval_id} expired at {approval.expires_at.isoformat()}")
    if approval.approved_by == actor.user_id:
        raise Forbidden("a familial search must be approved by someone other than who runs it")
    return approval


def _excluded(db: Session, agency_id: int, indexes: Sequence[str]) -> list[int]:
    query = select(DnaProfile.id).where(
        DnaProfile.agency_id == agency_id, DnaProfile.dna_index.not_in(indexes)
    )
    return list(db.scalars(query))


def _breakdown(
    query: dict[str, Genotype],
    candidate: DnaProfile,
    data: FamilialSearchRequest,
    table: FrequencyTable,
) -> list[KinshipLocusRead]:
    k = ibd_coefficients(data.relationship)
    theirs = _genotypes(candidate)
    return [
        KinshipLocusRead(
            locus=locus,
            query=list(query[locus]),
            candidate=list(theirs[locus]),
            lr=locus_kinship_index(
                query[locus], theirs[locus], k, frequency_lookup(table, locus), theta=data.theta
            ),
        )
        for locus in table.loci
        if locus in query and locus in theirs
    ]


def _genotypes(profile: DnaProfile) -> dict[str, Genotype]:
    pairs = {lo: (a[0], a[-1]) for lo, a in profile.loci.items() if lo not in SEX_LOCI and a}
    return canonical_profile(pairs, who=profile.specimen_id)


def _candidates(
    db: Session,
    agency_id: int,
    hits: list[KinshipHit],
    query: dict[str, Genotype],
    data: FamilialSearchRequest,
    table: FrequencyTable,
) -> list[KinshipCandidateRead]:
    keys = [hit.key for hit in hits]
    rows = {
        row.id: row
        for row in db.scalars(
            select(DnaProfile).where(DnaProfile.agency_id == agency_id, DnaProfile.id.in_(keys))
        )
    }
    return [
        KinshipCandidateRead(
            profile_id=hit.key,
            specimen_id=rows[hit.key].specimen_id,
            case_number=rows[hit.key].case_number,
            index=rows[hit.key].dna_index,  # checked when stored
            lr=None if hit.lr == float("inf") else hit.lr,
            log10_lr=hit.log10_lr,
            loci=_breakdown(query, rows[hit.key], data, table),
        )
        for hit in hits
        if hit.key in rows
    ]


def search(
    *, db: Session, actor: Actor, why: Justification, data: FamilialSearchRequest
) -> FamilialSearchResult:
    """Rank the agency's single-source profiles by kinship index with the approved query."""
    agency_id, case = agency_of(actor), case_of(why)
    approval = _approval(db, actor, agency_id, case, data.approval_id)
    query_row = get_by_specimen(db=db, agency_id=agency_id, specimen_id=approval.specimen_id)
    if query_row.mixture:
        raise Invalid("familial search needs a single-source query profile", field="approval_id")
    query = _genotypes(query_row)
    table = frequency_table(db, agency_id=agency_id, name=data.frequency_table)
    excluded = [*_excluded(db, agency_id, data.indexes), query_row.id]
    index = profile_index(db, agency_id)
    try:
        hits = index.kinship_scan(
            query, data.relationship, table, theta=data.theta, top=data.top, exclude=excluded
        )
        candidates = _candidates(db, agency_id, hits, query, data, table)
    except ValueError as error:
        raise Invalid(
            f"frequency table {data.frequency_table!r}: {error}", field="frequency_table"
        ) from None
    searched = select(func.count()).where(
        DnaProfile.agency_id == agency_id,
        DnaProfile.dna_index.in_(data.indexes),
        DnaProfile.mixture.is_(False),
        DnaProfile.id != query_row.id,
    )
    result = FamilialSearchResult(
        approval_id=approval.id,
        specimen_id=approval.specimen_id,
        relationship=data.relationship,
        frequency_table=data.frequency_table,
        theta=data.theta,
        searched=int(db.scalar(searched) or 0),
        candidates=candidates,
    )
    emit(
        db,
        DnaFamilialSearched(
            actor=actor.ref(),
            agency_id=agency_id,
            record_type=RECORD,
            record_id=str(query_row.id),
            purpose=why.purpose,
            case_number=case,
            approval_id=approval.id,
            parameters=data,
            searched=result.searched,
            candidate_ids=[c.profile_id for c in candidates],
            result_sha256=result_digest(result),
        ),
    )
    return result
