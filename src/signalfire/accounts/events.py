"""Events of the accounts domain."""

from __future__ import annotations

from typing import ClassVar

from signalfire.core.events import Event


class AgencyCreated(Event):
    topic: ClassVar[str] = "agency.created"
    code: str
    name: str
    kind: str


class MfaPolicyChanged(Event):
    topic: ClassVar[str] = "agency.mfa_policy_changed"
    required_roles: list[str]


class UserCreated(Event):
    topic: ClassVar[str] = "user.created"
    username: str
    roles: list[str]


class UserUpdated(Event):
    topic: ClassVar[str] = "user.updated"
    changed: list[str]
    roles: list[str]


class LoginSucceeded(Event):
    topic: ClassVar[str] = "auth.login"
    second_factor: bool


class LoginFailed(Event):
    topic: ClassVar[str] = "auth.login_failed"
    username: str
    reason: str


class LoggedOut(Event):
    topic: ClassVar[str] = "auth.logout"


class SecondFactorEnrolmentStarted(Event):
    topic: ClassVar[str] = "auth.totp_enrolment_started"


class SecondFactorEnrolled(Event):
    topic: ClassVar[str] = "auth.totp_enrolled"


class ApiTokenCreated(Event):
    topic: ClassVar[str] = "auth.token_created"
    name: str
    user_id: int


class ApiTokenRevoked(Event):
    topic: ClassVar[str] = "auth.token_revoked"
