"""Events of the DNA domain: every import, read, search and expungement is audited.

None of them carries alleles: the audit trail outlives an expunged profile, so it keeps
parameters, counts and SHA-256 digests (of the input, of the result, of the profile).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from signalfire.core.events import Event
from signalfire.dna.schemas import DviRequest, FamilialSearchRequest
from signalfire.strstats.records import IndexName
from signalfire.strstats.search import Stringency


class ImportParameters(BaseModel):
    """What the audit keeps of an import request: how rows were filed, never the CSV."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: IndexName | None
    mixture: bool
    max_alleles: int


class SearchParameters(BaseModel):
    """What the audit keeps of a search request: the profile searched for is a digest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    profile_id: int | None
    profile_sha256: str | None
    stringency: Stringency
    min_loci: int
    frequency_table: str | None
    theta: float
    indexes: list[IndexName] | None
    limit: int


class DnaProfilesImported(Event):
    """Profiles were imported from a CSV file (the accepted ones, in one transaction)."""

    topic: ClassVar[str] = "dna.profiles.imported"
    parameters: ImportParameters
    csv_sha256: str
    accepted: int
    rejected: int
    result_sha256: str


class DnaProfileRead(Event):
    """A stored profile was read."""

    topic: ClassVar[str] = "dna.profile.read"
    specimen_id: str
    result_sha256: str


class DnaProfileExpunged(Event):
    """A profile was deleted for good; its digest identifies it without its alleles."""

    topic: ClassVar[str] = "dna.profile.expunged"
    specimen_id: str
    profile_case_number: str
    index: str
    profile_sha256: str


class DnaSearched(Event):
    """The profile database was searched."""

    topic: ClassVar[str] = "dna.searched"
    parameters: SearchParameters
    searched: int
    candidate_ids: list[int]
    result_sha256: str


class DnaFrequenciesImported(Event):
    """An allele frequency table was stored under a name."""

    topic: ClassVar[str] = "dna.frequencies.imported"
    name: str
    population: str
    loci: int
    table_sha256: str


class DnaFamilialSwitched(Event):
    """An administrator switched familial search on or off for the agency."""

    topic: ClassVar[str] = "dna.familial.switched"
    enabled: bool
    reason: str


class DnaFamilialApproved(Event):
    """A familial search was approved for one case and query specimen."""

    topic: ClassVar[str] = "dna.familial.approved"
    specimen_id: str
    reason: str
    expires_at: str


class DnaFamilialSearched(Event):
    """A familial (kinship) search ran under an approval."""

    topic: ClassVar[str] = "dna.familial.searched"
    approval_id: int
    parameters: FamilialSearchRequest
    searched: int
    candidate_ids: list[int]
    result_sha256: str


class DnaFamilyStored(Event):
    """A reference family (pedigree with reference specimens) was stored."""

    topic: ClassVar[str] = "dna.family.stored"
    label: str
    members: int
    reference_specimens: list[str]


class DnaIdentificationRun(Event):
    """Unidentified profiles were compared with the reference families of a case."""

    topic: ClassVar[str] = "dna.dvi.run"
    parameters: DviRequest
    victims: int
    families: int
    identifications: list[list[int]]
    result_sha256: str
