"""Failed sign-ins, counted where they come from.

Two counters, both in the database (so every replica sees them):

* per client address: after ``address_failure_limit`` failures within
  ``address_window_minutes`` the address gets 429 (with Retry-After) until the window
  ends, before any password is checked;
* per account *and* address: ``lockout_threshold`` failures in a row lock that account
  for ``lockout_minutes`` from that address only, so one address guessing cannot lock a
  dispatcher out everywhere.

IPv6 clients are counted per /64, the block one subscriber usually holds.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signalfire.accounts.models import LoginThrottle
from signalfire.core.config import AuthSettings
from signalfire.core.errors import DomainError


class TooManyAttempts(DomainError):
    """Too many failed sign-ins from the caller's address: wait, then retry."""

    status = 429
    title = "Too many requests"
    type_slug = "too-many-requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, retry_after_s=retry_after_s)
        self.headers = {"Retry-After": str(retry_after_s)}


def client_key(address: str) -> str:
    """The address failures are counted under (an IPv6 address by its /64).

    >>> client_key("2001:db8::1"), client_key("10.0.0.7"), client_key("testclient")
    ('2001:db8::/64', '10.0.0.7', 'testclient')
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _address(address: str) -> str:
    return f"address:{client_key(address)}"


def _account(user_id: int, address: str) -> str:
    return f"account:{user_id}:{client_key(address)}"


def _row(db: Session, key: str, now: datetime) -> LoginThrottle:
    row = db.get(LoginThrottle, key, with_for_update=True)
    if row is not None:
        return row
    try:
        with db.begin_nested():  # another request may insert the same key meanwhile
            row = LoginThrottle(key=key, failures=0, window_started_at=now)
            db.add(row)
    except IntegrityError:
        query = select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
        row = db.scalars(query.execution_options(populate_existing=True)).one()
    return row


def check_address(db: Session, address: str, now: datetime) -> None:
    """Raise :class:`TooManyAttempts` while ``address`` is blocked."""
    row = db.get(LoginThrottle, _address(address))
    if row is not None and row.blocked_until is not None and row.blocked_until > now:
        wait = max(1, math.ceil((row.blocked_until - now).total_seconds()))
        raise TooManyAttempts(
            f"too many failed sign-ins from your address; try again in {wait} s",
            retry_after_s=wait,
        )


def locked_until(db: Session, user_id: int, address: str, now: datetime) -> datetime | None:
    """Until when the account is locked for ``address`` (``None``: it is not)."""
    row = db.get(LoginThrottle, _account(user_id, address))
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return None
    return row.blocked_until


def count_failure(
    db: Session, settings: AuthSettings, address: str, user_id: int | None, now: datetime
) -> datetime | None:
    """Count one failed sign-in against the address (and the account from it); the time
    the account is now locked until from this address, if this failure locked it."""
    window = timedelta(minutes=settings.address_window_minutes)
    by_address = _row(db, _address(address), now)
    if now - by_address.window_started_at >= window:
        by_address.failures, by_address.window_started_at = 0, now
    by_address.failures += 1
    if by_address.failures >= settings.address_failure_limit:
        by_address.blocked_until = by_address.window_started_at + window
    locked: datetime | None = None
    if user_id is not None:
        pair = _row(db, _account(user_id, address), now)
        pair.failures += 1
        pair.window_started_at = now
        if pair.failures >= settings.lockout_threshold:
            locked = now + timedelta(minutes=settings.lockout_minutes)
            pair.failures, pair.blocked_until = 0, locked
    _forget_old(db, settings, now)
    db.flush()
    return locked


def clear_account(db: Session, user_id: int, address: str | None = None) -> None:
    """Forget the failures against an account (from one address, or from all)."""
    if address is not None:
        db.execute(delete(LoginThrottle).where(LoginThrottle.key == _account(user_id, address)))
        return
    db.execute(delete(LoginThrottle).where(LoginThrottle.key.startswith(f"account:{user_id}:")))


def _forget_old(db: Session, settings: AuthSettings, now: datetime) -> None:
    """Drop counters nobody needs any more, so many addresses cannot fill the table."""
    horizon = now - timedelta(
        minutes=max(settings.address_window_minutes, settings.lockout_minutes, 60)
    )
    db.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at < horizon,
            or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now),
        )
    )


__all__ = [
    "TooManyAttempts",
    "check_address",
    "clear_account",
    "client_key",
    "count_failure",
    "locked_until",
]
