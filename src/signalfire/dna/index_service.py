"""The agency's profiles as a columnar index in memory, following every change.

Every import and expungement, in its transaction (:func:`profiles_changed`), gives the
agency's profile set a new random version and logs which profiles it added or removed
(:class:`~signalfire.dna.models.DnaProfileChange`, numbered per agency). A search compares
the version with the one its cached :class:`~signalfire.strstats.index.ProfileIndex` was
made at (one cache per engine, so per replica). On a mismatch it reads the log rows since
and the profiles they name, and applies them (:meth:`ProfileIndex.changed`); it rebuilds
from every stored profile when the index is more than :data:`MAX_BEHIND` changes (or a
tenth of its size, if more) behind, when the log no longer reaches back that far, or when
the row it stopped at carries another version (a restored backup, a recreated agency).
Either way an expunged profile never comes back from memory, and API replicas sharing a
database each follow the changes.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.dna.models import DnaAgencySettings, DnaProfile, DnaProfileChange
from signalfire.strstats.index import ProfileIndex
from signalfire.strstats.search import SearchProfile

#: An index at most this many changes behind (or a tenth of its size, if more) catches up.
MAX_BEHIND = 1_000
#: Log rows kept per agency; an index further behind rebuilds.
KEPT_CHANGES = 10_000
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class _Cached:
    """An index and the agency's profile set version and change number it shows."""

    version: str
    seq: int
    index: ProfileIndex


_CACHE: weakref.WeakKeyDictionary[Engine, dict[int, _Cached]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def agency_settings(db: Session, agency_id: int, *, lock: bool = False) -> DnaAgencySettings:
    """The agency's DNA settings row, created (familial search off) on first use.

    With ``lock``, the row is locked for the transaction and read as last committed.
    """
    row = db.get(DnaAgencySettings, agency_id, with_for_update=lock, populate_existing=lock)
    if row is not None:
        return row
    try:
        with db.begin_nested():
            db.add(
                DnaAgencySettings(
                    agency_id=agency_id,
                    familial_search=False,
                    profile_set_version=uuid.uuid4().hex,
                    profile_change_seq=0,
                    changed_at=clock.now(),
                )
            )
    except IntegrityError:  # created meanwhile by another transaction
        pass
    row = db.get(DnaAgencySettings, agency_id, with_for_update=lock, populate_existing=True)
    if row is None:  # pragma: no cover - the insert or the other one is visible now
        raise RuntimeError(f"no DNA settings for agency {agency_id}")
    return row


def profiles_changed(
    db: Session, agency_id: int, *, added: Sequence[int] = (), removed: Sequence[int] = ()
) -> None:
    """Mark the agency's profile set as changed and log the profiles ``added`` and
    ``removed`` (call in the transaction that changes it, once their rows are flushed).

    The settings row is locked first, so transactions changing one agency's profiles
    number their log rows in the order they commit.
    """
    settings = agency_settings(db, agency_id, lock=True)
    version, first = uuid.uuid4().hex, settings.profile_change_seq + 1
    changes = [(key, "added") for key in added] + [(key, "removed") for key in removed]
    now = clock.now()
    if changes:
        db.execute(
            insert(DnaProfileChange),
            [
                {
                    "agency_id": agency_id,
                    "seq": seq,
                    "profile_id": key,
                    "change": change,
                    "version": version,
                    "at": now,
                }
                for seq, (key, change) in enumerate(changes, first)
            ],
        )
    settings.profile_set_version = version
    settings.profile_change_seq = last = first + len(changes) - 1
    db.execute(
        delete(DnaProfileChange).where(
            DnaProfileChange.agency_id == agency_id, DnaProfileChange.seq <= last - KEPT_CHANGES
        )
    )
    db.flush()


def _profiles(db: Session, agency_id: int, keys: Sequence[int] | None) -> Iterator[SearchProfile]:
    """The agency's stored profiles (those keyed ``keys`` only, when given), by key."""
    columns = (DnaProfile.id, DnaProfile.specimen_id, DnaProfile.loci, DnaProfile.mixture)
    query = select(*columns).where(DnaProfile.agency_id == agency_id).order_by(DnaProfile.id)
    batches = (
        [query]
        if keys is None
        else [
            query.where(DnaProfile.id.in_(keys[start : start + _CHUNK]))
            for start in range(0, len(keys), _CHUNK)
        ]
    )
    for batch in batches:
        for key, specimen, loci, mixture in db.execute(batch):
            yield SearchProfile(key, specimen, loci, mixture=mixture)


def _build(db: Session, agency_id: int) -> ProfileIndex:
    return ProfileIndex.build(_profiles(db, agency_id, None))


def _caught_up(db: Session, agency_id: int, cached: _Cached, seq: int) -> ProfileIndex | None:
    """``cached``'s index with the logged changes after it up to ``seq`` applied, or
    ``None`` when it is too far behind or the log cannot vouch for it (a rebuild then):
    an index made before the first change has no log row to check its version against."""
    behind = seq - cached.seq
    if cached.seq == 0 or not 0 < behind <= max(MAX_BEHIND, len(cached.index) // 10):
        return None
    query = (
        select(DnaProfileChange.profile_id, DnaProfileChange.version)
        .where(
            DnaProfileChange.agency_id == agency_id,
            DnaProfileChange.seq >= cached.seq,
            DnaProfileChange.seq <= seq,
        )
        .order_by(DnaProfileChange.seq)
    )
    rows = db.execute(query).all()
    if len(rows) != behind + 1 or rows[0].version != cached.version:
        return None  # pruned, or another history than the one the index was made from
    touched = sorted({row.profile_id for row in rows[1:]})  # now stored or not, replaced
    return cached.index.changed(added=_profiles(db, agency_id, touched), removed=touched)


def profile_index(db: Session, agency_id: int) -> ProfileIndex:
    """The agency's profiles, indexed, as of the profile set version this session sees."""
    settings = agency_settings(db, agency_id)
    version, seq = settings.profile_set_version, settings.profile_change_seq
    engine = db.get_bind().engine
    cached = _CACHE.get(engine, {}).get(agency_id)
    if cached is not None and cached.version == version:
        return cached.index
    with _LOCK:
        caches = _CACHE.setdefault(engine, {})
        cached = caches.get(agency_id)
        if cached is None or cached.version != version:
            index = None if cached is None else _caught_up(db, agency_id, cached, seq)
            cached = _Cached(version, seq, _build(db, agency_id) if index is None else index)
            caches[agency_id] = cached
    return cached.index
