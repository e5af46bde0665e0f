"""Request and response bodies of the DNA profile database API.

Profiles carry no personal names: request bodies refuse unknown fields (``name`` among
them), and CSV imports refuse name columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import Field, model_validator

from signalfire.core.schemas import RequestBody, ResponseBody
from signalfire.dna.records import (
    DEFAULT_MAX_MIXTURE_ALLELES,
    MAX_MIXTURE_ALLELES,
    IndexName,
    profile_loci,
)
from signalfire.dna.search import DEFAULT_MIN_LOCI, MatchKind, Stringency

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
