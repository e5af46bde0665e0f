"""Password hashing (Argon2id) and opaque bearer tokens stored only as digests."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal that.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

SESSION_PREFIX = "sfs_"
API_TOKEN_PREFIX = "sft_"  # noqa: S105 (a prefix, not a secret)
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` with a fresh salt."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; ``None`` never matches."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


def new_token(prefix: str) -> str:
    """A random bearer token (256 bits) with a prefix that says what it is."""
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """SHA-256 of a token: what the database keeps instead of the token.

    >>> token_digest("sft_abc")[:16]
    'dc2379bfbf1d4e6f'
    """
    return hashlib.sha256(token.encode()).hexdigest()
