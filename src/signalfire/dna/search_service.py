"""Search the DNA profile database: prefilter in the index, match the few that may pass.

The agency's columnar index (:mod:`signalfire.dna.index_service`) narrows millions of profiles
to those that can match; only they are loaded and go through the pure matching and
statistics of :mod:`signalfire.strstats.search`. Each search is audited with its parameters and
the SHA-256 of its result (an inline profile is audited by its digest only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.auth.actor import Actor, Justification
from signalfire.core.errors import Invalid
from signalfire.core.events import emit
from signalfire.dna.events import DnaSearched, SearchParameters
from signalfire.dna.frequency_service import frequency_table
from signalfire.dna.index_service import profile_index
from signalfire.dna.models import DnaProfile
from signalfire.dna.report import render_match_report
from signalfire.dna.schemas import CandidateRead, LocusMatchRead, SearchRequest, SearchResult
from signalfire.dna.service import RECORD, agency_of, case_of, get, result_digest
from signalfire.strstats import search as matching
from signalfire.strstats.records import profile_digest

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Stored:
    """A stored profile as a search candidate, with what the result shows of it."""

    profile: matching.SearchProfile
    case_number: str
    index: str


def stored_profiles(
    db: Session, *, agency_id: int, keys: Sequence[int], indexes: Sequence[str] | None = None
) -> list[Stored]:
    """The agency's profiles with these keys (in ``indexes`` when given), ready to match."""
    columns = (
        DnaProfile.id,
        DnaProfile.specimen_id,
        DnaProfile.loci,
        DnaProfile.mixture,
        DnaProfile.case_number,
        DnaProfile.dna_index,
    )
    out: list[Stored] = []
    for start in range(0, len(keys), _CHUNK):
        query = select(*columns).where(
            DnaProfile.agency_id == agency_id, DnaProfile.id.in_(keys[start : start + _CHUNK])
        )
        if indexes:
            query = query.where(DnaProfile.dna_index.in_(indexes))
        out.extend(
            Stored(matching.SearchProfile(key, specimen, loci, mixture=mixture), case, index)
            for key, specimen, loci, mixture, case, index in db.execute(query)
        )
    return out


def searched_count(
    db: Session, agency_id: int, indexes: Sequence[str] | None, query: matching.SearchProfile
) -> int:
    """How many stored profiles a search compares (the query itself not counted)."""
    count = select(func.count()).where(DnaProfile.agency_id == agency_id)
    if indexes:
        count = count.where(DnaProfile.dna_index.in_(indexes))
    if query.key is not None:
        count = count.where(DnaProfile.id != query.key)
    return int(db.scalar(count) or 0)


def _query(db: Session, agency_id: int, data: SearchRequest) -> matching.SearchProfile:
    if data.profile is not None:
        loci = {locus: [str(a) for a in alleles] for locus, alleles in data.profile.loci.items()}
        return matching.SearchProfile(None, "query", loci, mixture=data.profile.mixture)
    if data.profile_id is None:
        raise Invalid("give profile_id (a stored profile) or profile", field="profile_id")
    stored = get(db=db, agency_id=agency_id, profile_id=data.profile_id)
    return matching.SearchProfile(
        stored.id, stored.specimen_id, stored.loci, mixture=stored.mixture
    )


def _candidate(hit: matching.Hit, stored: Stored) -> CandidateRead:
    return CandidateRead(
        profile_id=hit.profile.key or 0,
        specimen_id=hit.profile.specimen_id,
        case_number=stored.case_number,
        index=stored.index,  # checked when stored
        mixture=hit.profile.mixture,
        shared_loci=hit.shared_loci,
        lr=hit.lr,
        log10_lr=hit.log10_lr,
        loci=[
            LocusMatchRead(
                locus=m.locus,
                query=list(m.query),
                candidate=list(m.candidate),
                match=m.kind,
                lr=m.lr,
            )
            for m in hit.loci
        ],
    )


def _parameters(data: SearchRequest, query: matching.SearchProfile) -> SearchParameters:
    """What the audit keeps of a search request: never the alleles, only their digest."""
    digest = None
    if data.profile is not None:
        digest = profile_digest(query.specimen_id, query.loci, mixture=query.mixture)
    return SearchParameters(**data.model_dump(exclude={"profile"}), profile_sha256=digest)


def search(*, db: Session, actor: Actor, why: Justification, data: SearchRequest) -> SearchResult:
    """Search the agency's profiles; candidates ranked by likelihood ratio (audited)."""
    agency_id, case = agency_of(actor), case_of(why)
    query = _query(db, agency_id, data)
    if len(query.compared) < data.min_loci:
        raise Invalid(
            f"the profile searched has {len(query.compared)} comparable loci but min_loci "
            f"is {data.min_loci}",
            field="min_loci",
        )
    table = None
    if data.frequency_table is not None:
        table = frequency_table(db, agency_id=agency_id, name=data.frequency_table)
    keys = profile_index(db, agency_id).prefilter(
        query, stringency=data.stringency, min_loci=data.min_loci
    )
    stored = {
        s.profile.key: s
        for s in stored_profiles(
            db, agency_id=agency_id, keys=[int(k) for k in keys], indexes=data.indexes
        )
        if s.profile.key != query.key
    }
    try:
        hits = matching.search(
            query,
            (s.profile for s in stored.values()),
            stringency=data.stringency,
            min_loci=data.min_loci,
            table=table,
            theta=data.theta,
            limit=data.limit,
        )
    except ValueError as error:
        raise Invalid(
            f"frequency table {data.frequency_table!r}: {error}", field="frequency_table"
        ) from None
    result = SearchResult(
        stringency=data.stringency,
        min_loci=data.min_loci,
        frequency_table=data.frequency_table,
        query_loci=len(query.compared),
        searched=searched_count(db, agency_id, data.indexes, query),
        candidates=[_candidate(hit, stored[hit.profile.key]) for hit in hits],
    )
    emit(
        db,
        DnaSearched(
            actor=actor.ref(),
            agency_id=agency_id,
            record_type=RECORD,
            record_id=None if data.profile_id is None else str(data.profile_id),
            purpose=why.purpose,
            case_number=case,
            parameters=_parameters(data, query),
            searched=result.searched,
            candidate_ids=[c.profile_id for c in result.candidates],
            result_sha256=result_digest(result),
        ),
    )
    return result


def report(*, db: Session, actor: Actor, why: Justification, data: SearchRequest) -> str:
    """The search (audited like any other) as a printable HTML match report."""
    result = search(db=db, actor=actor, why=why, data=data)
    label = "a profile given with the request"
    if data.profile_id is not None:
        specimen = get(db=db, agency_id=agency_of(actor), profile_id=data.profile_id).specimen_id
        label = f"stored profile {data.profile_id} (specimen {specimen})"
    return render_match_report(
        result,
        case_number=case_of(why),
        query_label=label,
        analyst=actor.username,
        generated_at=clock.now(),
        digest=result_digest(result),
        theta=data.theta,
    )
