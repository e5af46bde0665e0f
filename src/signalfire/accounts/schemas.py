"""Request and response bodies of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, SecretStr

from signalfire.core.auth.credentials import MIN_PASSWORD_LENGTH
from signalfire.core.auth.permissions import Role
from signalfire.core.schemas import RequestBody, ResponseBody

AgencyKind = Literal["police", "fire", "ems", "dispatch_center", "other"]
Password = SecretStr

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"


class AgencyCreate(RequestBody):
    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9_-]{1,31}$", examples=["HKI-FIRE"])
    name: str = Field(min_length=2, max_length=200, examples=["Helsinki City Rescue Department"])
    kind: AgencyKind


class AgencyRead(ResponseBody):
    id: int
    code: str
    name: str
    kind: str
    mfa_required_roles: list[Role]
    created_at: datetime


class MfaPolicy(RequestBody):
    required_roles: list[Role] = Field(
        description="Roles whose holders must sign in with a TOTP second factor."
    )


class UserCreate(RequestBody):
    username: str = Field(pattern=USERNAME_PATTERN, examples=["a.virtanen"])
    display_name: str = Field(min_length=1, max_length=200)
    password: Password | None = Field(
        None,
        min_length=MIN_PASSWORD_LENGTH,
        description="Omit for a device or worker account that signs in with API tokens only.",
    )
    roles: list[Role] = Field(default_factory=list)
    agency_id: int | None = Field(None, description="Defaults to the caller's own agency.")


class UserUpdate(RequestBody):
    display_name: str | None = Field(None, min_length=1, max_length=200)
    password: Password | None = Field(None, min_length=MIN_PASSWORD_LENGTH)
    roles: list[Role] | None = None
    is_active: bool | None = None
    unlock: bool = Field(False, description="Clear a lockout after failed logins.")
    reset_second_factor: bool = Field(False, description="Forget the user's TOTP enrolment.")


class UserRead(ResponseBody):
    id: int
    agency_id: int
    username: str
    display_name: str
    roles: list[Role]
    is_active: bool
    locked_until: datetime | None
    totp_confirmed: bool


class LoginRequest(RequestBody):
    username: str = Field(min_length=1, max_length=64)
    password: Password = Field(min_length=1, max_length=1024)
    otp: str | None = Field(None, pattern=r"^[0-9]{6}$", description="Current TOTP code.")


class LoginResponse(ResponseBody):
    token: str = Field(description="Bearer token; the console gets the same in a cookie.")
    expires_at: datetime
    idle_timeout_seconds: int
    second_factor_enrollment_required: bool
    user: UserRead


class Me(ResponseBody):
    user: UserRead
    permissions: list[str]
    via: str


class TotpSetup(ResponseBody):
    secret: str
    provisioning_uri: str


class TotpConfirm(RequestBody):
    otp: str = Field(pattern=r"^[0-9]{6}$")


class TokenCreate(RequestBody):
    user_id: int
    name: str = Field(min_length=1, max_length=100, examples=["camera-worker-1"])
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class TokenRead(ResponseBody):
    id: int
    user_id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="Shown once; only its digest is stored.")
