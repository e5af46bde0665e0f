"""TOTP second factor (RFC 6238): enrol, confirm, check a code."""

from __future__ import annotations

import hmac
from datetime import timedelta

import pyotp
from sqlalchemy.orm import Session

from signalfire.accounts import events
from signalfire.accounts.models import LoginSession, User
from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict, Invalid, NotFound
from signalfire.core.events import emit


def accept_code(user: User, code: str) -> bool:
    """Whether ``code`` is the user's TOTP code now (one step of clock drift allowed).

    Each time step is accepted once (RFC 6238, section 5.2): a code seen before, or one
    older than the last accepted, is refused, so an overheard code cannot be replayed.
    """
    if not user.totp_secret:
        return False
    generator = pyotp.TOTP(user.totp_secret)
    now = clock.now()
    for drift in (-1, 0, 1):
        moment = now + timedelta(seconds=drift * generator.interval)
        if hmac.compare_digest(generator.at(moment), code):
            step = generator.timecode(moment)
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False


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
    emit(
        db,
        events.SecondFactorEnrolmentStarted(
            actor=actor.ref(),
            agency_id=user.agency_id,
            record_type="user",
            record_id=str(user.id),
        ),
    )
    return user.totp_secret, uri


def confirm_enrollment(*, db: Session, actor: Actor, code: str) -> User:
    """Activate the pending secret once the caller proves they hold it."""
    user = _self(db, actor)
    if user.totp_confirmed or user.totp_secret is None:
        raise Conflict("no enrolment in progress; start one first")
    if not accept_code(user, code):
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
    user.totp_secret, user.totp_confirmed, user.totp_last_step = None, False, None
