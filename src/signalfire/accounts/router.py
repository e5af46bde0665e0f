"""HTTP routes for signing in, agencies, users and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from signalfire.accounts import service, sessions, tokens, totp
from signalfire.accounts.models import Agency, ApiToken, User
from signalfire.accounts.schemas import (
    AgencyCreate,
    AgencyRead,
    LoginRequest,
    LoginResponse,
    Me,
    MfaPolicy,
    TokenCreate,
    TokenCreated,
    TokenRead,
    TotpConfirm,
    TotpSetup,
    UserCreate,
    UserRead,
    UserUpdate,
)
from signalfire.api.authentication import authenticate
from signalfire.api.permissions import Public, requires
from signalfire.api.session import DbSession, get_runtime
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm
from signalfire.core.errors import Unauthorized
from signalfire.core.runtime import Runtime
from signalfire.core.schemas import ResponseBody

auth_router = APIRouter(prefix="/api/auth", tags=["sign-in"])
router = APIRouter(prefix="/api", tags=["accounts"])

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Self = Annotated[Actor, requires(Perm.SELF)]


@auth_router.post("/login", response_model=LoginResponse, dependencies=[Public])
def login(
    data: LoginRequest, request: Request, db: DbSession, runtime: RuntimeDep, response: Response
) -> LoginResponse:
    """Sign in with username, password and (when enrolled or required) a TOTP code.

    Returns a bearer token and sets the same as an HttpOnly cookie for the console.
    Too many failures from one client address answer 429 with Retry-After.
    """
    auth = runtime.settings.auth
    result = sessions.login(
        db=db,
        settings=auth,
        username=data.username,
        password=data.password.get_secret_value(),
        otp=data.otp,
        address=request.client.host if request.client else "unknown",
    )
    response.set_cookie(
        auth.cookie_name,
        result.token,
        httponly=True,
        samesite="strict",
        secure=auth.cookie_secure,
        max_age=auth.max_session_hours * 3600,
    )
    return LoginResponse(
        token=result.token,
        expires_at=result.session.expires_at,
        idle_timeout_seconds=auth.idle_timeout_minutes * 60,
        second_factor_enrollment_required=result.session.enrollment_only,
        user=UserRead.model_validate(result.user),
    )


@auth_router.post("/logout", status_code=204)
def logout(db: DbSession, actor: Self, runtime: RuntimeDep, response: Response) -> None:
    """End the current session and clear the cookie."""
    sessions.logout(db=db, actor=actor)
    auth = runtime.settings.auth
    response.delete_cookie(
        auth.cookie_name, httponly=True, samesite="strict", secure=auth.cookie_secure
    )


class SessionStatus(ResponseBody):
    signed_in: bool
    username: str | None = None
    map_tiles: str | None = Field(None, description="Tile server the console draws under roads.")
    must_enrol: bool = Field(False, description="Enrol a second factor before anything else.")


@auth_router.get("/session", response_model=SessionStatus, dependencies=[Public])
def session_status(request: Request, db: DbSession, runtime: RuntimeDep) -> SessionStatus:
    """Whether the caller is signed in, and the console's settings: what the console
    asks on load (never a 401)."""
    try:
        actor = authenticate(request, db)
    except Unauthorized:
        return SessionStatus(signed_in=False)
    tiles = runtime.settings.api.map_tiles
    return SessionStatus(
        signed_in=True, username=actor.username, map_tiles=tiles, must_enrol=actor.enrollment_only
    )


@auth_router.get("/me", response_model=Me)
def me(db: DbSession, actor: Self) -> Me:
    """Who the caller is and what they may do."""
    user = service.get_user(db=db, actor=actor, user_id=actor.user_id or 0)
    return Me(
        user=UserRead.model_validate(user), permissions=sorted(actor.permissions), via=actor.via
    )


@auth_router.post("/totp", response_model=TotpSetup)
def totp_begin(db: DbSession, actor: Self, runtime: RuntimeDep) -> TotpSetup:
    """Start TOTP enrolment: add the secret to an authenticator app, then confirm."""
    secret, uri = totp.begin_enrollment(
        db=db, actor=actor, issuer=runtime.settings.auth.totp_issuer
    )
    return TotpSetup(secret=secret, provisioning_uri=uri)


@auth_router.post("/totp/confirm", response_model=UserRead)
def totp_confirm(data: TotpConfirm, db: DbSession, actor: Self) -> User:
    """Prove the authenticator works; from now on sign-in asks for its code."""
    return totp.confirm_enrollment(db=db, actor=actor, code=data.otp)


@router.get("/agencies", response_model=list[AgencyRead], dependencies=[requires(Perm.AGENCY_READ)])
def list_agencies(db: DbSession) -> list[Agency]:
    """All agencies sharing this install."""
    return service.list_agencies(db=db)


@router.post("/agencies", response_model=AgencyRead, status_code=201)
def create_agency(
    data: AgencyCreate, db: DbSession, actor: Annotated[Actor, requires(Perm.AGENCY_MANAGE)]
) -> Agency:
    """Register another agency (a neighbouring city, a new service)."""
    return service.create_agency(db=db, actor=actor, data=data)


@router.put("/agencies/{agency_id}/mfa-policy", response_model=AgencyRead)
def set_mfa_policy(
    agency_id: int,
    data: MfaPolicy,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.AGENCY_MANAGE)],
) -> Agency:
    """Choose which roles of the caller's agency must sign in with a second factor."""
    return service.set_mfa_policy(
        db=db, actor=actor, agency_id=agency_id, required_roles=data.required_roles
    )


UserReader = Annotated[Actor, requires(Perm.USER_READ)]
UserManager = Annotated[Actor, requires(Perm.USER_MANAGE)]
TokenManager = Annotated[Actor, requires(Perm.TOKEN_MANAGE)]


@router.get("/users", response_model=list[UserRead])
def list_users(db: DbSession, actor: UserReader) -> list[User]:
    """Users of the caller's agency."""
    return service.list_users(db=db, actor=actor)


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(data: UserCreate, db: DbSession, actor: UserManager) -> User:
    """Add a user to the caller's agency."""
    return service.create_user(db=db, actor=actor, data=data)


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(user_id: int, db: DbSession, actor: UserReader) -> User:
    """One user of the caller's agency."""
    return service.get_user(db=db, actor=actor, user_id=user_id)


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(user_id: int, data: UserUpdate, db: DbSession, actor: UserManager) -> User:
    """Change a user's name, password, roles or active flag; unlock; reset their TOTP."""
    return service.update_user(db=db, actor=actor, user_id=user_id, data=data)


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(db: DbSession, actor: TokenManager) -> list[ApiToken]:
    """API tokens of the caller's agency (never the secrets)."""
    return tokens.list_tokens(db=db, actor=actor)


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(data: TokenCreate, db: DbSession, actor: TokenManager) -> TokenCreated:
    """Issue a long-lived token for a device or worker account; shown once."""
    record, token = tokens.create(db=db, actor=actor, data=data)
    return TokenCreated(**TokenRead.model_validate(record).model_dump(), token=token)


@router.delete("/tokens/{token_id}", response_model=TokenRead)
def revoke_token(token_id: int, db: DbSession, actor: TokenManager) -> ApiToken:
    """Revoke a token at once."""
    return tokens.revoke(db=db, actor=actor, token_id=token_id)
