"""Request and response bodies of the DNA profile database API.

Profiles carry no personal names: request bodies refuse unknown fields (``name`` among
them), and CSV imports refuse name columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from signalfire.core.schemas import RequestBody, ResponseBody
from signalfire.strstats.pedigree import check_pedigree
from signalfire.strstats.records import (
    DEFAULT_MAX_MIXTURE_ALLELES,
    MAX_MIXTURE_ALLELES,
    IndexName,
    profile_loci,
)
from signalfire.strstats.search import DEFAULT_MIN_LOCI, MatchKind, Stringency

_EXAMPLE_LOCI = {"D3S1358": ["15", "16"], "vWA": ["17", "18"], "AMEL": ["X", "Y"]}


class ProfileImport(RequestBody):
    """A CSV export (either layout) and how to file its rows."""

    csv: str = Field(min_length=1, description="The whole file, header first.")
    index: IndexName | None = Field(
        None, description="Index of rows without an Index column of their own."
    )
    mixture: bool = Field(False, description="The samples are mixtures.")
    max_alleles: int = Field(
        DEFAULT_MAX_MIXTURE_ALLELES,
        ge=2,
        le=MAX_MIXTURE_ALLELES,
        description="Most alleles a mixture may show at a locus.",
    )


class ImportedProfile(ResponseBody):
    id: int
    specimen_id: str
    line: int


class RejectedRowRead(ResponseBody):
    line: int
    specimen_id: str | None
    reason: str


class ImportReport(ResponseBody):
    layout: str = Field(description="wide (a row per sample) or long (a row per locus)")
    accepted: int
    profiles: list[ImportedProfile]
    rejected: list[RejectedRowRead]
    ignored_columns: list[str]


class ProfileRead(ResponseBody):
    id: int
    specimen_id: str
    case_number: str
    index: IndexName
    mixture: bool
    loci: dict[str, list[str]]
    locus_count: int = Field(description="Loci a search compares (Amelogenin is not one).")
    created_at: datetime


class ProfileIn(RequestBody):
    """A profile searched for without storing it."""

    loci: dict[str, list[str | int | float]] = Field(
        min_length=1, examples=[_EXAMPLE_LOCI], description="Alleles per locus."
    )
    mixture: bool = False

    @model_validator(mode="after")
    def _canonical(self) -> Self:
        canonical = profile_loci(self.loci, mixture=self.mixture, max_alleles=MAX_MIXTURE_ALLELES)
        self.loci = {locus: list(alleles) for locus, alleles in canonical.items()}
        return self


class SearchRequest(RequestBody):
    """Search the agency's profiles for a stored profile or one given here."""

    profile_id: int | None = Field(None, ge=1, description="A stored profile (not itself).")
    profile: ProfileIn | None = None
    stringency: Stringency = "high"
    min_loci: int = Field(DEFAULT_MIN_LOCI, ge=1, le=60, description="Shared loci needed.")
    frequency_table: str | None = Field(
        None, min_length=1, max_length=100, description="Stored table for the LR."
    )
    theta: float = Field(0.0, ge=0.0, le=0.25, description="Coancestry (NRC II 4.10).")
    indexes: list[IndexName] | None = Field(None, min_length=1, description="Default: all.")
    limit: int = Field(100, ge=1, le=1000)

    @model_validator(mode="after")
    def _one_query(self) -> Self:
        if (self.profile_id is None) == (self.profile is None):
            raise ValueError("give exactly one of profile_id (a stored profile) or profile")
        return self


class LocusMatchRead(ResponseBody):
    locus: str
    query: list[str]
    candidate: list[str]
    match: MatchKind
    lr: float | None = Field(description="Per-locus LR; null when the locus is off-table.")


class CandidateRead(ResponseBody):
    profile_id: int
    specimen_id: str
    case_number: str
    index: IndexName
    mixture: bool
    shared_loci: int
    lr: float | None
    log10_lr: float | None
    loci: list[LocusMatchRead]


class SearchResult(ResponseBody):
    stringency: Stringency
    min_loci: int
    frequency_table: str | None
    query_loci: int
    searched: int = Field(description="Profiles compared.")
    candidates: list[CandidateRead]


class FrequencyImport(RequestBody):
    """An allele-by-locus frequency CSV (``Allele,<locus>,...``; optional ``N`` row)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$", examples=["NIST-Cauc"])
    population: str = Field(min_length=1, max_length=100, examples=["U.S. Caucasian"])
    csv: str = Field(min_length=1)
    n: int | None = Field(None, ge=1, description="Individuals sampled, for every locus.")


class FrequencyTableRead(ResponseBody):
    id: int
    name: str
    population: str
    loci: list[str]
    sample_sizes: dict[str, int]
    created_at: datetime


def csv_body(model: type[RequestBody]) -> dict[str, Any]:
    """OpenAPI ``requestBody`` of a route taking text/csv or the JSON ``model``."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": model.model_json_schema()},
            },
        }
    }


KinRelationship = Literal[
    "parent-child", "full-sib", "half-sib", "avuncular", "grandparent", "first-cousin"
]
_MEMBER_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
_LABEL = r"^[A-Za-z0-9][A-Za-z0-9 ._/#-]{0,99}$"


class FamilialSwitch(RequestBody):
    """Switch familial search on or off for the agency (an administrator's decision)."""

    enabled: bool
    reason: str = Field(min_length=1, max_length=2000, examples=["policy 2026-7 adopted"])


class FamilialSettingsRead(ResponseBody):
    familial_search: bool
    changed_at: datetime | None
    changed_by: int | None


class FamilialApprovalCreate(RequestBody):
    """Leave for one familial search: this case, this stored query specimen, for a while."""

    case_number: str = Field(min_length=1, max_length=100)
    specimen_id: str = Field(min_length=1, max_length=64, description="The query profile.")
    reason: str = Field(min_length=1, max_length=2000)
    valid_days: int = Field(7, ge=1, le=90)


class FamilialApprovalRead(ResponseBody):
    id: int
    case_number: str
    specimen_id: str
    reason: str
    approved_by: int
    approved_at: datetime
    expires_at: datetime


class FamilialSearchRequest(RequestBody):
    """Rank the agency's profiles by kinship index with an approved query profile."""

    approval_id: int = Field(ge=1)
    relationship: KinRelationship = "full-sib"
    frequency_table: str = Field(min_length=1, max_length=100)
    theta: float = Field(0.0, ge=0.0, le=0.25)
    indexes: list[IndexName] = Field(["offender", "arrestee"], min_length=1)
    top: int = Field(100, ge=1, le=1000)


class KinshipLocusRead(ResponseBody):
    locus: str
    query: list[str]
    candidate: list[str]
    lr: float


class KinshipCandidateRead(ResponseBody):
    profile_id: int
    specimen_id: str
    case_number: str
    index: IndexName
    lr: float | None = Field(description="Null beyond a float's range; see log10_lr.")
    log10_lr: float
    loci: list[KinshipLocusRead]


class FamilialSearchResult(ResponseBody):
    approval_id: int
    specimen_id: str
    relationship: KinRelationship
    frequency_table: str
    theta: float
    searched: int = Field(description="Single-source profiles scanned.")
    candidates: list[KinshipCandidateRead]


class FamilyMemberIn(RequestBody):
    """A pedigree member: a label (never a name), parents, sex, and a reference profile."""

    id: str = Field(pattern=_MEMBER_ID, examples=["father"])
    father: str | None = Field(None, pattern=_MEMBER_ID)
    mother: str | None = Field(None, pattern=_MEMBER_ID)
    sex: Literal["male", "female", "unknown"] = "unknown"
    specimen_id: str | None = Field(
        None, min_length=1, max_length=64, description="Stored reference profile, if typed."
    )


class FamilyCreate(RequestBody):
    """A reference family of a missing-persons case."""

    label: str = Field(pattern=_LABEL, examples=["Family 12"])
    members: list[FamilyMemberIn] = Field(min_length=2, max_length=15)
    missing: str = Field(pattern=_MEMBER_ID, description="The member who is missing.")

    @model_validator(mode="after")
    def _pedigree(self) -> Self:
        ids = [m.id for m in self.members]
        if len(set(ids)) != len(ids):
            raise ValueError("every member id must be unique")
        if self.missing not in ids:
            raise ValueError(f"missing member {self.missing!r} is not among the members")
        if any(m.id == self.missing and m.specimen_id for m in self.members):
            raise ValueError("the missing member cannot have a reference profile")
        if not any(m.specimen_id for m in self.members):
            raise ValueError("at least one member needs a reference profile (specimen_id)")
        check_pedigree({m.id: (m.father, m.mother) for m in self.members})
        return self


class FamilyRead(ResponseBody):
    id: int
    label: str
    case_number: str
    members: list[FamilyMemberIn]
    missing: str
    created_at: datetime


class DviRequest(RequestBody):
    """Every unidentified profile of the case against every family of the case."""

    frequency_table: str = Field(min_length=1, max_length=100)
    threshold: float = Field(10_000.0, gt=1.0, description="LR proposing an identification.")
    mutation: dict[str, str | float] | None = Field(
        None, examples=[{"model": "stepwise", "rate": 0.002}]
    )


class DviCellRead(ResponseBody):
    victim_id: int
    family_id: int
    lr: float | None = Field(description="Null beyond a float's range; see log10_lr.")
    log10_lr: float | None = Field(description="Null for an exclusion.")
    excluded: bool
    excluding_loci: list[str]
    loci: int


class DviVictimRead(ResponseBody):
    profile_id: int
    specimen_id: str


class DviFamilyRead(ResponseBody):
    id: int
    label: str


class DviResult(ResponseBody):
    case_number: str
    frequency_table: str
    threshold: float
    victims: list[DviVictimRead]
    families: list[DviFamilyRead]
    matrix: list[DviCellRead]
    identifications: list[DviCellRead]
