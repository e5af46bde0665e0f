"""The agency's profiles as a columnar index in memory, rebuilt when they change.

Every import and expungement gives the agency's profile set a new random version (in the
same transaction, :func:`profiles_changed`); a search compares that version with the one
its cached :class:`~signalfire.strstats.index.ProfileIndex` was built from and rebuilds on a
mismatch, so an expunged profile never comes back from memory, and API replicas sharing a
database each notice the change.
"""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.dna.models import DnaAgencySettings, DnaProfile
from signalfire.strstats.index import ProfileIndex
from signalfire.strstats.search import SearchProfile

_CACHE: dict[tuple[str, int], tuple[str, ProfileIndex]] = {}
_LOCK = threading.Lock()


def agency_settings(db: Session, agency_id: int, *, lock: bool = False) -> DnaAgencySettings:
    """The agency's DNA settings row, created (familial search off) on first use."""
    row = db.get(DnaAgencySettings, agency_id, with_for_update=lock)
    if row is not None:
        return row
    try:
        with db.begin_nested():
            db.add(
                DnaAgencySettings(
                    agency_id=agency_id,
                    familial_search=False,
                    profile_set_version=uuid.uuid4().hex,
                    changed_at=clock.now(),
                )
            )
    except IntegrityError:  # created meanwhile by another transaction
        pass
    row = db.get(DnaAgencySettings, agency_id, with_for_update=lock, populate_existing=True)
    if row is None:  # pragma: no cover - the insert or the other one is visible now
        raise RuntimeError(f"no DNA settings for agency {agency_id}")
    return row


def profiles_changed(db: Session, agency_id: int) -> None:
    """Mark the agency's profile set as changed (call in the transaction that changes it)."""
    agency_settings(db, agency_id, lock=True).profile_set_version = uuid.uuid4().hex
    db.flush()


def _build(db: Session, agency_id: int) -> ProfileIndex:
    query = (
        select(DnaProfile.id, DnaProfile.specimen_id, DnaProfile.loci, DnaProfile.mixture)
        .where(DnaProfile.agency_id == agency_id)
        .order_by(DnaProfile.id)
    )
    return ProfileIndex.build(
        SearchProfile(key, specimen, loci, mixture=mixture)
        for key, specimen, loci, mixture in db.execute(query)
    )


def profile_index(db: Session, agency_id: int) -> ProfileIndex:
    """The agency's profiles, indexed; built once per version of the profile set."""
    version = agency_settings(db, agency_id).profile_set_version
    key = (db.get_bind().engine.url.render_as_string(hide_password=True), agency_id)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is None or cached[0] != version:
            cached = (version, _build(db, agency_id))
            _CACHE[key] = cached
    return cached[1]
