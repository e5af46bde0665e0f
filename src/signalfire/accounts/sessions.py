"""Signing in and out: passwords, lockout, second factor, sessions and API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from signalfire.accounts import events, throttle, totp
from signalfire.accounts.models import ApiToken, LoginSession, User, UserRole
from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.credentials import (
    API_TOKEN_PREFIX,
    SESSION_PREFIX,
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from signalfire.core.auth.permissions import Role
from signalfire.core.config import AuthSettings
from signalfire.core.errors import Unauthorized
from signalfire.core.events import ActorRef, emit

# Refreshing last-seen at most this often keeps reads from turning into writes.
_TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Login:
    """A new session: the token to hand the client, and its record."""

    token: str
    session: LoginSession
    user: User


class LoginRefused(Unauthorized):
    """A failed sign-in. The failure counter and audit entry must still be committed."""

    keep_side_effects = True


def actor_of(user: User, *, via: str, credential_id: int | None, enrollment_only: bool) -> Actor:
    """The :class:`Actor` a signed-in ``user`` acts as."""
    return Actor(
        user_id=user.id,
        username=user.username,
        agency_id=user.agency_id,
        roles=frozenset(Role(r) for r in user.roles),
        via="token" if via == "token" else "session",
        credential_id=credential_id,
        enrollment_only=enrollment_only,
    )


def second_factor_required(user: User) -> bool:
    """Whether ``user`` must present a TOTP code: enrolled, or required by agency policy."""
    required = set(user.agency.mfa_required_roles) & set(user.roles)
    return user.totp_confirmed or bool(required)


def login(
    *,
    db: Session,
    settings: AuthSettings,
    username: str,
    password: str,
    otp: str | None,
    address: str,
) -> Login:
    """Check credentials and open a session, or raise :class:`LoginRefused`
    (:class:`~signalfire.accounts.throttle.TooManyAttempts` while ``address``, the
    client's, has failed too often)."""
    now = clock.now()
    throttle.check_address(db, address, now)
    # Locked, so parallel attempts count one after another towards the lockout.
    user = db.scalar(select(User).where(User.username == username).with_for_update(of=User))
    password_ok = verify_password(user.password_hash if user else None, password)
    refuse = _Refusal(db, settings, user, username, address)
    if user is None or not user.is_active:
        raise refuse("invalid username or password", count_account=False)
    locked = throttle.locked_until(db, user.id, address, now)
    if user.locked_until is not None and user.locked_until > now:  # locked by an operator
        locked = max(locked or user.locked_until, user.locked_until)
    if locked is not None:
        raise refuse(f"account locked until {locked:%H:%M:%S} UTC", count=False)
    if not password_ok:
        raise refuse("invalid username or password")
    if user.totp_confirmed and otp is None:
        raise refuse("second factor required: send the current code as 'otp'", count=False)
    otp_ok = otp is not None and user.totp_confirmed and totp.accept_code(user, otp)
    if user.totp_confirmed and not otp_ok:
        raise refuse("invalid second-factor code")
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    throttle.clear_account(db, user.id, address)
    token = new_token(SESSION_PREFIX)
    record = LoginSession(
        user_id=user.id,
        token_digest=token_digest(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.max_session_hours),
        second_factor=otp_ok,
        enrollment_only=second_factor_required(user) and not user.totp_confirmed,
    )
    db.add(record)
    db.flush()
    emit(
        db,
        events.LoginSucceeded(
            actor=_ref(user),
            agency_id=user.agency_id,
            record_type="session",
            record_id=str(record.id),
            second_factor=otp_ok,
        ),
    )
    return Login(token=token, session=record, user=user)


@dataclass(frozen=True, slots=True)
class _Refusal:
    """Builds the refusals of one sign-in attempt, counting and auditing each."""

    db: Session
    settings: AuthSettings
    user: User | None
    username: str
    address: str

    def __call__(
        self, reason: str, *, count: bool = True, count_account: bool = True
    ) -> LoginRefused:
        """Record a failed sign-in (counted against the address and, when
        ``count_account``, towards the account's lockout from it) and build the error."""
        user = self.user
        if count:
            account = user.id if user is not None and count_account else None
            locked = throttle.count_failure(
                self.db, self.settings, self.address, account, clock.now()
            )
            if user is not None and count_account:
                user.failed_logins += 1
            if locked is not None and user is not None:
                user.failed_logins = 0
                minutes = self.settings.lockout_minutes
                reason = f"{reason}; account locked for {minutes} minutes from your address"
        emit(
            self.db,
            events.LoginFailed(
                actor=_ref(user) if user else None,
                agency_id=user.agency_id if user else None,
                record_type="user" if user else None,
                record_id=str(user.id) if user else None,
                outcome="denied",
                username=self.username[:64],
                reason=reason,
            ),
        )
        self.db.flush()
        return LoginRefused(reason)


def _ref(user: User) -> ActorRef:
    return ActorRef(user_id=user.id, username=user.username, agency_id=user.agency_id)


def authenticate(*, db: Session, settings: AuthSettings, token: str) -> Actor:
    """The actor behind a session or API token, or :class:`Unauthorized`."""
    if token.startswith(API_TOKEN_PREFIX):
        return _authenticate_api_token(db, token)
    if not token.startswith(SESSION_PREFIX):
        raise Unauthorized("unrecognised token")
    now = clock.now()
    record = db.scalar(select(LoginSession).where(LoginSession.token_digest == token_digest(token)))
    if record is None or record.ended_at is not None:
        raise Unauthorized("not signed in")
    idle = timedelta(minutes=settings.idle_timeout_minutes)
    if record.expires_at <= now or record.last_seen_at + idle <= now:
        raise Unauthorized("session expired; sign in again")
    user = db.get(User, record.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("account disabled")
    if now - record.last_seen_at >= _TOUCH_INTERVAL:
        record.last_seen_at = now
    return actor_of(
        user, via="session", credential_id=record.id, enrollment_only=record.enrollment_only
    )


# API tokens authenticate every call of terminals, gateways and integrations: one
# prepared statement for the token and its user, one for the roles.
_API_TOKEN = (
    select(
        ApiToken.id,
        ApiToken.revoked_at,
        ApiToken.expires_at,
        ApiToken.last_used_at,
        User.id,
        User.username,
        User.agency_id,
        User.is_active,
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_digest == bindparam("digest"))
)
_ROLES = select(UserRole.role).where(UserRole.user_id == bindparam("user"))
_TOUCH_TOKEN = (
    update(ApiToken).where(ApiToken.id == bindparam("token")).values(last_used_at=bindparam("at"))
)


def _authenticate_api_token(db: Session, token: str) -> Actor:
    now = clock.now()
    db.flush()  # Core statements: let them see this transaction's changes
    connection = db.connection()
    row = connection.execute(_API_TOKEN, {"digest": token_digest(token)}).first()
    if row is None:
        raise Unauthorized("unknown or revoked API token")
    token_id, revoked_at, expires_at, last_used_at, user_id, username, agency_id, active = row
    if revoked_at is not None:
        raise Unauthorized("unknown or revoked API token")
    if expires_at is not None and expires_at <= now:
        raise Unauthorized("API token expired")
    if not active:
        raise Unauthorized("account disabled")
    if last_used_at is None or now - last_used_at >= _TOUCH_INTERVAL:
        connection.execute(_TOUCH_TOKEN, {"token": token_id, "at": now})
    return Actor(
        user_id=user_id,
        username=username,
        agency_id=agency_id,
        roles=frozenset(Role(r) for r in connection.scalars(_ROLES, {"user": user_id})),
        via="token",
        credential_id=token_id,
        enrollment_only=False,
    )


def logout(*, db: Session, actor: Actor) -> None:
    """End the caller's console session (API tokens are revoked, not logged out)."""
    if actor.via != "session" or actor.credential_id is None:
        return
    record = db.get(LoginSession, actor.credential_id)
    if record is not None and record.ended_at is None:
        record.ended_at = clock.now()
        emit(
            db,
            events.LoggedOut(
                actor=actor.ref(),
                agency_id=actor.agency_id,
                record_type="session",
                record_id=str(record.id),
            ),
        )
