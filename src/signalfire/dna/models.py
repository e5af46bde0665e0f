"""DNA tables: profiles (no names) and allele frequency tables, per agency.

A profile lives in one row, alleles included, so that expunging it deletes the row and
nothing of it stays behind but the audit entry (its specimen id and a digest).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signalfire.core.db import Base, UtcDateTime


class DnaProfile(Base):
    """An STR profile of a specimen, in one index of the agency's database."""

    __tablename__ = "dna_profiles"
    __table_args__ = (
        UniqueConstraint("agency_id", "specimen_id"),
        Index("ix_dna_profiles_agency_index", "agency_id", "dna_index"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    specimen_id: Mapped[str] = mapped_column(String(64))
    case_number: Mapped[str] = mapped_column(String(100), index=True)
    dna_index: Mapped[str] = mapped_column(String(32))  # offender, forensic_unknown...
    mixture: Mapped[bool] = mapped_column(Boolean)
    loci: Mapped[dict[str, list[str]]] = mapped_column(JSON)  # canonical locus -> alleles
    locus_count: Mapped[int] = mapped_column(Integer)  # compared loci (Amelogenin not)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[int | None] = mapped_column(Integer)


class DnaFrequencyTable(Base):
    """Allele frequencies of a population, by name, for match statistics."""

    __tablename__ = "dna_frequency_tables"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(String(100))
    population: Mapped[str] = mapped_column(String(100))
    frequencies: Mapped[dict[str, dict[str, float]]] = mapped_column(JSON)
    sample_sizes: Mapped[dict[str, int]] = mapped_column(JSON)  # individuals per locus
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[int | None] = mapped_column(Integer)


class DnaAgencySettings(Base):
    """An agency's DNA switches and the version of its profile set.

    ``profile_set_version`` is a fresh random token after every import and expungement
    (in the same transaction), so an in-memory search index knows when it is stale
    without scanning the profiles; a token, not a counter, so that a restored backup or
    a recreated agency never passes for an index built before. ``profile_change_seq`` is
    the number of the agency's latest :class:`DnaProfileChange` (0 before the first), so
    an index knows how far behind it is.
    """

    __tablename__ = "dna_agency_settings"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    familial_search: Mapped[bool] = mapped_column(Boolean, default=False)
    profile_set_version: Mapped[str] = mapped_column(String(32))
    profile_change_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    changed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class DnaProfileChange(Base):
    """A profile added to or removed from an agency's set: the log that lets each
    replica bring its search index up to date without reading every profile again.

    Rows are numbered per agency (``seq`` 1, 2, ...) and written in the transaction of the
    import or expungement, under the lock of the agency's settings row, so their order is
    the order of the commits. ``version`` is the agency's ``profile_set_version`` after
    the change: an index that stopped at ``seq`` checks that row's version against its
    own, so one built from another history (a restored backup) rebuilds instead. Old rows
    are pruned; an index further behind than the log rebuilds too.
    """

    __tablename__ = "dna_profile_changes"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    profile_id: Mapped[int] = mapped_column(Integer)  # no key: a removed profile is gone
    change: Mapped[str] = mapped_column(String(8))  # added, removed
    version: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class DnaFamilialApproval(Base):
    """Leave to run a familial search for one case and one query specimen, until expiry."""

    __tablename__ = "dna_familial_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    case_number: Mapped[str] = mapped_column(String(100))
    specimen_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(2000))
    approved_by: Mapped[int] = mapped_column(Integer)
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DnaFamily(Base):
    """A reference family for a missing-persons case: a pedigree with typed relatives.

    ``members`` holds ``{"id", "father", "mother", "sex", "specimen_id"}`` records (no
    names: member ids are labels such as ``"M"`` or ``"brother1"``); ``specimen_id``
    points to a stored reference profile or is null for an untyped member.
    """

    __tablename__ = "dna_families"
    __table_args__ = (UniqueConstraint("agency_id", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    case_number: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(100))
    members: Mapped[list[dict[str, str | None]]] = mapped_column(JSON)
    missing: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[int | None] = mapped_column(Integer)
