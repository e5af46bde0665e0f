"""TOTP second factor (RFC 6238): enrol, confirm, check a code."""

from __future__ import annotations

import pyotp
from sqlalchemy.orm import Session

from signalfire.accounts import events
from signalfire.accounts.models import LoginSession, User
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict, Invalid, NotFound
from signalfire.core.events import emit


def code_valid(user: User, code: str) -> bool:
    """Whether ``code`` is the user's current TOTP code (one step of clock drift allowed)."""
    return (
        user.totp_confirmed
        and user.totp_secret is not None
        and pyotp.TOTP(user.totp_secret).verify(code, valid_window=1)
    )


def _self(db: Session, actor: Actor) -> User:
    user = db.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise NotFound("only a signed-in user has a second factor")
    return user


def begin_enrollment(*, db: Session, actor: Actor, issuer: str) -> tuple[str, str]:
    """Give the caller a new TOTP secret and its ``otpauth://`` URI, not yet active."""
    user = _self(db, actor)
    if user.totp_confirmed:
        raise Conflict("a second factor is already enrolled; an admin can reset it")
    user.totp_secret = pyotp.random_base32()
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=issuer)
    return user.totp_secret, uri


def confirm_enrollment(*, db: Session, actor: Actor, code: str) -> User:
    """Activate the pending secret once the caller proves they hold it."""
    user = _self(db, actor)
    if user.totp_confirmed or user.totp_secret is None:
        raise Conflict("no enrolment in progress; start one first")
    if not pyotp.TOTP(user.totp_secret).verify(code, valid_window=1):
        raise Invalid("the code does not match; check the authenticator's clock", field="otp")
    user.totp_confirmed = True
    if actor.via == "session" and actor.credential_id is not None:
        session = db.get(LoginSession, actor.credential_id)
        if session is not None:
            session.enrollment_only, session.second_factor = False, True
    emit(
        db,
        events.SecondFactorEnrolled(
            actor=actor.ref(),
            agency_id=user.agency_id,
            record_type="user",
            record_id=str(user.id),
        ),
    )
    return user


def reset(user: User) -> None:
    """Forget a user's second factor (an admin's action; the caller audits it)."""
    user.totp_secret, user.totp_confirmed = None, False
