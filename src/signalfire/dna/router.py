"""HTTP routes of the DNA profile database.

Only DNA analysts hold these permissions. Reading, searching, importing and expunging
profiles require a stated purpose and a case number (``X-Signalfire-Purpose``,
``X-Signalfire-Case``), and each is audited with the SHA-256 of its result.

Uploads (profile and frequency CSVs) are read and checked before the request's
transaction opens: the caller is signed in through the group commit
(:func:`~signalfire.api.permissions.requires_in_batch`), the file is parsed in a worker thread
within the limits of :mod:`signalfire.strstats.limits`, and only then does the route's
session take the write lock, for the inserts alone.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from signalfire.api.permissions import CaseJustified, requires, requires_in_batch
from signalfire.api.session import DbSession
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm
from signalfire.core.schemas import RequestBody
from signalfire.dna import familial, frequency_service, identification, search_service, service
from signalfire.dna.schemas import (
    DviRequest,
    DviResult,
    FamilialApprovalCreate,
    FamilialApprovalRead,
    FamilialSearchRequest,
    FamilialSearchResult,
    FamilialSettingsRead,
    FamilialSwitch,
    FamilyCreate,
    FamilyRead,
    FrequencyImport,
    FrequencyTableRead,
    ImportReport,
    ProfileImport,
    ProfileRead,
    SearchRequest,
    SearchResult,
    csv_body,
)
from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.importer import ParsedImport

router = APIRouter(prefix="/api/dna", tags=["dna"])

Body = TypeVar("Body", bound=RequestBody)
Writer = Annotated[Actor, requires_in_batch(Perm.DNA_WRITE)]
_CSV_TYPES = frozenset({"text/csv", "text/plain", "application/csv"})


def _invalid(error: ValidationError, where: str) -> RequestValidationError:
    return RequestValidationError(
        [{**e, "loc": (where, *e["loc"])} for e in error.errors(include_url=False)]
    )


def _json_invalid(message: str, position: int = 0) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "json_invalid", "loc": ("body", position), "msg": message}]
    )


def _json(raw: bytes) -> Any:
    """A JSON body (RFC 8259: UTF-8); a 400 naming what is wrong, never a 500."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _json_invalid(f"the JSON body is not UTF-8 text (byte {error.start})") from None
    try:
        return json.loads(text or "null")
    except json.JSONDecodeError as error:
        raise _json_invalid(error.msg, error.pos) from None
    except RecursionError:
        raise _json_invalid("the JSON body is nested too deeply") from None
    except ValueError as error:  # a number of more than 4,300 digits
        raise _json_invalid(str(error).partition(":")[0]) from None


async def _csv_or_json(request: Request, model: type[Body]) -> Body:
    """``model`` from a JSON body, or from a text/csv body (the ``csv`` field) with the
    other fields as query parameters."""
    media = request.headers.get("content-type", "application/json").split(";")[0].strip()
    raw = await request.body()
    if media.lower() in _CSV_TYPES:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(422, "the CSV is not UTF-8 text") from None
        fields: dict[str, Any] = {**request.query_params, "csv": text}
        where = "query"
    elif media.lower() == "application/json":
        fields = _json(raw)
        where = "body"
    else:
        raise HTTPException(415, f"send text/csv or application/json, not {media!r}")
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        raise _invalid(error, where) from None


async def _profile_import(request: Request) -> ProfileImport:
    return await _csv_or_json(request, ProfileImport)


async def _frequency_import(request: Request) -> FrequencyImport:
    return await _csv_or_json(request, FrequencyImport)


ProfileUpload = Annotated[ProfileImport, Depends(_profile_import)]
FrequencyUpload = Annotated[FrequencyImport, Depends(_frequency_import)]


def _parsed_profiles(actor: Writer, why: CaseJustified, data: ProfileUpload) -> ParsedImport:
    """The upload read and checked, in a worker thread, with no transaction open."""
    return service.parse_import(actor=actor, why=why, data=data)


def _parsed_frequencies(actor: Writer, data: FrequencyUpload) -> FrequencyTable:
    """The frequency table read and checked, in a worker thread, with no transaction open."""
    return frequency_service.parse_table(actor=actor, data=data)


# The upload routes declare their session last: it opens (lazily, on its first
# statement) only after the caller is signed in and the file parsed.
@router.post(
    "/profiles/import",
    response_model=ImportReport,
    status_code=201,
    openapi_extra=csv_body(ProfileImport),
)
def import_profiles(
    actor: Writer,
    why: CaseJustified,
    data: ProfileUpload,
    parsed: Annotated[ParsedImport, Depends(_parsed_profiles)],
    db: DbSession,
) -> ImportReport:
    """Import a laboratory CSV (a row per sample, or a row per sample and locus; detected).

    Send it as ``text/csv`` (options as query parameters: ``index``, ``mixture``,
    ``max_alleles``) or as JSON ``{"csv": ..., "index": ...}``. Accepted rows are stored
    together; every rejected line comes back with its number and the reason. A file
    over the limits (400 columns, 1,000 characters a cell, 200,000 lines) is refused
    with 422 naming the line and column.
    """
    return service.import_profiles(db=db, actor=actor, why=why, data=data, parsed=parsed)


@router.get("/profiles/{profile_id}", response_model=ProfileRead)
def read_profile(
    profile_id: int,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.DNA_READ)],
    why: CaseJustified,
) -> ProfileRead:
    """One profile of your agency (audited with your purpose and case)."""
    return service.read_profile(db=db, actor=actor, why=why, profile_id=profile_id)


@router.delete("/profiles/{profile_id}", status_code=204)
def expunge_profile(
    profile_id: int,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.DNA_EXPUNGE)],
    why: CaseJustified,
) -> None:
    """Expunge a profile: its row is deleted; the audit keeps its specimen id and digest."""
    service.expunge(db=db, actor=actor, why=why, profile_id=profile_id)


@router.post("/search", response_model=SearchResult)
def search_profiles(
    data: SearchRequest,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.DNA_SEARCH)],
    why: CaseJustified,
) -> SearchResult:
    """Search your agency's profiles at a stringency; candidates ranked by LR."""
    return search_service.search(db=db, actor=actor, why=why, data=data)


@router.post("/search/report", response_class=HTMLResponse)
def search_report(
    data: SearchRequest,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.DNA_SEARCH)],
    why: CaseJustified,
) -> HTMLResponse:
    """The same search as a printable HTML match report: candidates, per-locus values
    and the formulas behind them (audited like a search)."""
    return HTMLResponse(search_service.report(db=db, actor=actor, why=why, data=data))


@router.post(
    "/frequencies",
    response_model=FrequencyTableRead,
    status_code=201,
    openapi_extra=csv_body(FrequencyImport),
)
def import_frequencies(
    actor: Writer,
    data: FrequencyUpload,
    table: Annotated[FrequencyTable, Depends(_parsed_frequencies)],
    db: DbSession,
) -> FrequencyTableRead:
    """Store an allele-by-locus frequency CSV (``Allele,<locus>,...``) under a name."""
    return frequency_service.import_table(db=db, actor=actor, data=data, table=table)


@router.get("/frequencies", response_model=list[FrequencyTableRead])
def list_frequencies(
    db: DbSession, actor: Annotated[Actor, requires(Perm.DNA_SEARCH)]
) -> list[FrequencyTableRead]:
    """Your agency's frequency tables, by name."""
    return frequency_service.list_tables(db=db, actor=actor)


@router.get("/familial/settings", response_model=FamilialSettingsRead)
def familial_settings(
    db: DbSession, actor: Annotated[Actor, requires(Perm.DNA_SEARCH)]
) -> FamilialSettingsRead:
    """Whether familial search is switched on for your agency (it is off by default)."""
    return familial.read_settings(db=db, actor=actor)


@router.put("/familial/settings", response_model=FamilialSettingsRead)
def switch_familial_search(
    data: FamilialSwitch,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.DNA_FAMILIAL_MANAGE)],
) -> FamilialSettingsRead:
    """Switch familial search on or off for your agency (administrators; audited)."""
    return familial.switch(db=db, actor=actor, data=data)


@router.post("/familial/approvals", response_model=FamilialApprovalRead, status_code=201)
def approve_familial_search(
    data: FamilialApprovalCreate,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.DNA_FAMILIAL_APPROVE)],
) -> FamilialApprovalRead:
    """Approve one familial search: a case, a stored query specimen, a validity period."""
    return familial.approve(db=db, actor=actor, data=data)


@router.post("/familial/search", response_model=FamilialSearchResult)
def familial_search(
    data: FamilialSearchRequest,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.DNA_SEARCH)],
    why: CaseJustified,
) -> FamilialSearchResult:
    """Rank your agency's profiles by kinship index with an approved query (audited).

    Refused while familial search is off, for another case than the approval's, after
    the approval expired, or when you approved it yourself.
    """
    return familial.search(db=db, actor=actor, why=why, data=data)


@router.post("/families", response_model=FamilyRead, status_code=201)
def create_family(
    data: FamilyCreate,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.DNA_WRITE)],
    why: CaseJustified,
) -> FamilyRead:
    """Store a reference family (pedigree of labelled members) for the case."""
    return identification.create_family(db=db, actor=actor, why=why, data=data)


@router.get("/families", response_model=list[FamilyRead])
def list_families(
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.DNA_READ)],
    why: CaseJustified,
) -> list[FamilyRead]:
    """The reference families of the case."""
    return identification.list_families(db=db, actor=actor, why=why)


@router.post("/dvi", response_model=DviResult)
def disaster_victim_identification(
    data: DviRequest,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.DNA_SEARCH)],
    why: CaseJustified,
) -> DviResult:
    """Every unidentified-remains profile of the case against every family of the case:
    the pairwise LR matrix, exclusions and proposed identifications (audited)."""
    return identification.run_dvi(db=db, actor=actor, why=why, data=data)
