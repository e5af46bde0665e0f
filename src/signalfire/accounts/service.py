"""Agencies and users: create, read, change. Scoped to the caller's agency."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from signalfire.accounts import events, throttle, totp
from signalfire.accounts.models import Agency, LoginSession, User, UserRole
from signalfire.accounts.schemas import AgencyCreate, UserCreate, UserUpdate
from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.credentials import hash_password
from signalfire.core.auth.permissions import Role
from signalfire.core.errors import Conflict, Forbidden, NotFound
from signalfire.core.events import emit


def create_agency(*, db: Session, actor: Actor, data: AgencyCreate) -> Agency:
    """Register an agency; its code must be unused."""
    if db.scalar(select(Agency.id).where(Agency.code == data.code)) is not None:
        raise Conflict(f"agency code {data.code!r} is already taken", field="code")
    agency = Agency(
        code=data.code,
        name=data.name,
        kind=data.kind,
        mfa_required_roles=[],
        created_at=clock.now(),
    )
    db.add(agency)
    db.flush()
    emit(
        db,
        events.AgencyCreated(
            actor=actor.ref(),
            agency_id=agency.id,
            record_type="agency",
            record_id=str(agency.id),
            code=agency.code,
            name=agency.name,
            kind=agency.kind,
        ),
    )
    return agency


def list_agencies(*, db: Session) -> list[Agency]:
    """Every agency on the install (names and codes are not sensitive)."""
    return list(db.scalars(select(Agency).order_by(Agency.code)))


def get_agency(*, db: Session, agency_id: int) -> Agency:
    """The agency with ``agency_id``."""
    agency = db.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"no agency with id {agency_id}")
    return agency


def get_agency_by_code(*, db: Session, code: str) -> Agency:
    """The agency with ``code``."""
    agency = db.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound(f"no agency with code {code!r}")
    return agency


def set_mfa_policy(
    *, db: Session, actor: Actor, agency_id: int, required_roles: list[Role]
) -> Agency:
    """Require a TOTP second factor of every holder of ``required_roles``."""
    agency = _own_agency(actor, get_agency(db=db, agency_id=agency_id))
    agency.mfa_required_roles = sorted(set(required_roles))
    emit(
        db,
        events.MfaPolicyChanged(
            actor=actor.ref(),
            agency_id=agency.id,
            record_type="agency",
            record_id=str(agency.id),
            required_roles=agency.mfa_required_roles,
        ),
    )
    return agency


def create_user(*, db: Session, actor: Actor, data: UserCreate) -> User:
    """Add a user to the caller's agency (the operator may name any agency)."""
    agency_id = data.agency_id if data.agency_id is not None else actor.agency_id
    if agency_id is None:
        raise NotFound("an agency is required for a new user")
    agency = _own_agency(actor, get_agency(db=db, agency_id=agency_id))
    _check_grant(actor, data.roles)
    if db.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict(f"username {data.username!r} is already taken", field="username")
    user = User(
        agency_id=agency.id,
        username=data.username,
        display_name=data.display_name,
        password_hash=hash_password(data.password.get_secret_value()) if data.password else None,
        is_active=True,
        failed_logins=0,
        totp_confirmed=False,
        created_at=clock.now(),
        role_rows=[UserRole(role=str(role)) for role in sorted(set(data.roles))],
    )
    db.add(user)
    db.flush()
    emit(
        db,
        events.UserCreated(
            actor=actor.ref(),
            agency_id=agency.id,
            record_type="user",
            record_id=str(user.id),
            username=user.username,
            roles=user.roles,
        ),
    )
    return user


def list_users(*, db: Session, actor: Actor) -> list[User]:
    """Users of the caller's agency (all users for the operator)."""
    query = select(User).order_by(User.username)
    if actor.agency_id is not None:
        query = query.where(User.agency_id == actor.agency_id)
    return list(db.scalars(query))


def get_user(*, db: Session, actor: Actor, user_id: int) -> User:
    """A user of the caller's agency; others look as if they did not exist."""
    user = db.get(User, user_id)
    if user is None or not actor.acts_in(user.agency_id):
        raise NotFound(f"no user with id {user_id}")
    return user


def get_user_by_name(*, db: Session, username: str) -> User:
    """The user called ``username`` (operator use)."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user called {username!r}")
    return user


def update_user(*, db: Session, actor: Actor, user_id: int, data: UserUpdate) -> User:
    """Change a user's name, password, roles, active flag, or clear a lockout."""
    user = get_user(db=db, actor=actor, user_id=user_id)
    if data.roles is not None:
        _check_grant(actor, data.roles, user)
    changed = sorted(data.model_dump(exclude_unset=True, exclude={"unlock", "reset_second_factor"}))
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.password is not None:
        user.password_hash = hash_password(data.password.get_secret_value())
    if data.roles is not None:
        wanted = {str(role) for role in data.roles}
        for row in [r for r in user.role_rows if r.role not in wanted]:
            user.role_rows.remove(row)
        held = {r.role for r in user.role_rows}
        user.role_rows.extend(UserRole(role=role) for role in sorted(wanted - held))
    if data.is_active is not None:
        user.is_active = data.is_active
    if data.unlock:
        user.failed_logins, user.locked_until = 0, None
        throttle.clear_account(db, user.id)  # from every address
        changed.append("unlock")
    if data.reset_second_factor:
        totp.reset(user)
        changed.append("reset_second_factor")
    if {"password", "reset_second_factor"} & set(changed) or data.is_active is False:
        _end_sessions(db, user)
    db.flush()
    emit(
        db,
        events.UserUpdated(
            actor=actor.ref(),
            agency_id=user.agency_id,
            record_type="user",
            record_id=str(user.id),
            changed=changed,
            roles=user.roles,
        ),
    )
    return user


def _end_sessions(db: Session, user: User) -> None:
    """Sign the user out everywhere (after a password change, reset or disabling)."""
    now = clock.now()
    db.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def _check_grant(actor: Actor, roles: list[Role], user: User | None = None) -> None:
    """Admins run accounts but may neither make auditors (who watch admins) nor change
    their own roles; the install's operator does those at the command line."""
    if actor.via == "cli":
        return
    if Role.AUDITOR in roles and (user is None or Role.AUDITOR.value not in user.roles):
        raise Forbidden(
            "auditor accounts are granted by the install's operator "
            "(signalfire user add ... --role auditor)"
        )
    if user is not None and user.id == actor.user_id and sorted(map(str, roles)) != user.roles:
        raise Forbidden("you may not change your own roles")


def _own_agency(actor: Actor, agency: Agency) -> Agency:
    if not actor.acts_in(agency.id):
        raise Forbidden(f"you may manage only your own agency, not {agency.code}")
    return agency
