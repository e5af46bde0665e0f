"""Long-lived API tokens for devices, workers and integrations."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.accounts import events
from signalfire.accounts.models import ApiToken, User
from signalfire.accounts.schemas import TokenCreate
from signalfire.accounts.service import get_user
from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.credentials import API_TOKEN_PREFIX, new_token, token_digest
from signalfire.core.errors import Conflict, Forbidden, NotFound
from signalfire.core.events import emit


def create(*, db: Session, actor: Actor, data: TokenCreate) -> tuple[ApiToken, str]:
    """Issue a token for a user of the caller's agency; the plain token is returned once."""
    user = get_user(db=db, actor=actor, user_id=data.user_id)
    if user.password_hash is not None and actor.via != "cli":
        raise Forbidden(
            f"{user.username} signs in with a password; API tokens are for device and worker "
            "accounts (created without a password), so no one can act as a person by token"
        )
    token = new_token(API_TOKEN_PREFIX)
    now = clock.now()
    record = ApiToken(
        user_id=user.id,
        name=data.name,
        token_digest=token_digest(token),
        created_at=now,
        created_by=actor.user_id,
        expires_at=now + timedelta(days=data.expires_in_days) if data.expires_in_days else None,
    )
    db.add(record)
    db.flush()
    emit(
        db,
        events.ApiTokenCreated(
            actor=actor.ref(),
            agency_id=user.agency_id,
            record_type="api_token",
            record_id=str(record.id),
            name=record.name,
            user_id=user.id,
        ),
    )
    return record, token


def list_tokens(*, db: Session, actor: Actor) -> list[ApiToken]:
    """Tokens of the caller's agency's users (never the tokens themselves)."""
    query = select(ApiToken).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    if actor.agency_id is not None:
        query = query.where(User.agency_id == actor.agency_id)
    return list(db.scalars(query))


def revoke(*, db: Session, actor: Actor, token_id: int) -> ApiToken:
    """Make a token unusable from now on."""
    record = db.get(ApiToken, token_id)
    user = db.get(User, record.user_id) if record else None
    if record is None or user is None or not actor.acts_in(user.agency_id):
        raise NotFound(f"no API token with id {token_id}")
    if record.revoked_at is not None:
        raise Conflict(f"API token {token_id} is already revoked")
    record.revoked_at = clock.now()
    emit(
        db,
        events.ApiTokenRevoked(
            actor=actor.ref(),
            agency_id=user.agency_id,
            record_type="api_token",
            record_id=str(record.id),
        ),
    )
    return record
