"""Hash chain arithmetic: canonical form, entry hashes, verification. No database here.

Each entry's hash covers its canonical content, which includes its sequence number and
the previous entry's hash. Altering a field breaks the entry's own hash; removing an
entry leaves a gap in the sequence (or a head that points past the end); swapping two
entries leaves each one linked to a predecessor that is not the one before it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

GENESIS_HASH = "0" * 64

Breach = Literal["altered", "removed", "reordered"]


def canonical_bytes(content: Mapping[str, Any]) -> bytes:
    """Deterministic JSON: sorted keys, no spaces, UTC timestamps with microseconds.

    >>> from datetime import datetime, UTC
    >>> canonical_bytes({"b": 1, "a": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)})
    b'{"a":"2026-01-02T03:04:05.000000Z","b":1}'
    """
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_encode
    ).encode()


def _encode(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    raise TypeError(f"cannot put {type(value).__name__} in an audit entry")


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical form of ``content``.

    >>> content_hash({})
    '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'
    """
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


@dataclass(frozen=True, slots=True)
class Link:
    """One stored entry as the verifier sees it."""

    seq: int
    content: Mapping[str, Any]  # every hashed field, ``seq`` and ``prev_hash`` included
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True, slots=True)
class Finding:
    """The first place where the chain does not hold."""

    seq: int
    breach: Breach
    message: str


@dataclass(frozen=True, slots=True)
class Report:
    """Outcome of walking the chain."""

    checked: int
    finding: Finding | None
    head_seq: int
    head_hash: str

    @property
    def ok(self) -> bool:
        """True when nothing was altered, removed or reordered."""
        return self.finding is None


def verify(
    links: Iterable[Link],
    *,
    head: tuple[int, str],
    seq_of_hash: Callable[[str], int | None],
) -> Report:
    """Walk ``links`` in sequence order and report the first breach.

    ``head`` is the (seq, hash) the log says it ends with; ``seq_of_hash`` finds the
    entry that has a given hash, which tells a reordering from a removal.
    """
    expected_seq, expected_prev, checked = 1, GENESIS_HASH, 0
    for link in links:
        finding = _check(link, expected_seq, expected_prev, seq_of_hash)
        if finding:
            return Report(checked, finding, *head)
        checked += 1
        expected_seq, expected_prev = link.seq + 1, link.entry_hash
    last_seq = expected_seq - 1
    if head[0] > last_seq:
        finding = Finding(
            last_seq + 1, "removed", f"entries {last_seq + 1}..{head[0]} are missing at the end"
        )
        return Report(checked, finding, *head)
    if head[1] != expected_prev or head[0] != last_seq:
        finding = Finding(last_seq, "altered", "the chain head does not match the last entry")
        return Report(checked, finding, *head)
    return Report(checked, None, *head)


def _check(
    link: Link, expected_seq: int, expected_prev: str, seq_of_hash: Callable[[str], int | None]
) -> Finding | None:
    if link.seq > expected_seq:
        return Finding(
            expected_seq, "removed", f"entries {expected_seq}..{link.seq - 1} are missing"
        )
    linked_to = None if link.prev_hash == expected_prev else seq_of_hash(link.prev_hash)
    if linked_to is not None and linked_to != expected_seq - 1:
        return Finding(
            link.seq,
            "reordered",
            f"entry {link.seq} follows entry {linked_to}, not entry {expected_seq - 1}",
        )
    if content_hash(link.content) != link.entry_hash or link.content.get("seq") != link.seq:
        return Finding(link.seq, "altered", f"entry {link.seq} does not match its hash")
    if link.prev_hash != expected_prev:
        return Finding(
            link.seq, "removed", f"entry {link.seq} follows an entry that is no longer there"
        )
    return None
