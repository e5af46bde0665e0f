"""Signing in and out over the API: passwords, lockout, session expiry, API tokens, TOTP.

Everything runs through the real app and database; time is moved with ``frozen_clock``
except in the TOTP tests, where pyotp reads the real clock.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from signalfire.accounts.models import Agency, ApiToken, LoginSession, User
from signalfire.core import clock
from signalfire.core.audit.models import AuditEntry
from signalfire.core.audit.service import details_of
from signalfire.core.auth.permissions import Role
from tests.conftest import PASSWORD, Clock, World, bearer

COOKIE = "signalfire_session"
PROBLEM_JSON = "application/problem+json"
WRONG_PASSWORD = "not the right password"
BAD_LOGIN = "invalid username or password"


# --- helpers -------------------------------------------------------------------------


def login(
    client: TestClient, username: str, password: str = PASSWORD, otp: str | None = None
) -> Response:
    """POST /api/auth/login."""
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return client.post("/api/auth/login", json=body)


def sign_in(client: TestClient, username: str, otp: str | None = None) -> str:
    """Log in with the right password and return the session token."""
    response = login(client, username, otp=otp)
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def me(client: TestClient, token: str) -> Response:
    """GET /api/auth/me as the holder of ``token``."""
    return client.get("/api/auth/me", headers=bearer(token))


def problem(response: Response, status: int, detail_part: str) -> dict[str, Any]:
    """Assert ``response`` is a problem+json body of ``status`` whose detail has ``detail_part``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert detail_part in body["detail"], body["detail"]
    return body


def audit_trail(db: Session, action: str) -> list[AuditEntry]:
    """Committed audit entries with ``action``, oldest first (ends ``db``'s transaction)."""
    db.expire_all()
    entries = list(
        db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))
    )
    db.commit()  # release SQLite's write lock; the app needs it for the next request
    return entries


def reload_user(db: Session, user_id: int) -> User:
    """``User`` as committed now (ends ``db``'s transaction)."""
    db.expire_all()
    user = db.get(User, user_id)
    assert user is not None
    db.commit()
    return user


def current_code(secret: str) -> str:
    """The authenticator's code for ``secret`` now, by the server's clock."""
    return pyotp.TOTP(secret).at(clock.now())


def wrong_code(secret: str) -> str:
    """A six-digit code that no step near now accepts."""
    totp, now = pyotp.TOTP(secret), time.time()
    near = {totp.at(now + offset) for offset in (-90, -60, -30, 0, 30, 60, 90)}
    return next(code for code in (f"{n:06d}" for n in range(100)) if code not in near)


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture
def agency(world: World) -> Agency:
    return world.agency("HKI-FIRE")


@pytest.fixture
def dispatcher(world: World, agency: Agency) -> User:
    return world.user("a.virtanen", agency, [Role.DISPATCHER])


@pytest.fixture
def admin_token(world: World, agency: Agency) -> str:
    """An API token of an admin of ``agency`` (no password needed)."""
    return world.token(world.user("root.admin", agency, [Role.ADMIN], password=None))


# --- password sign-in ------------------------------------------------------------------


def test_login_returns_a_session_token_and_an_httponly_cookie(
    client: TestClient, dispatcher: User
) -> None:
    response = login(client, "a.virtanen")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token"].startswith("sfs_")
    assert body["user"]["username"] == "a.virtanen"
    assert body["second_factor_enrollment_required"] is False
    assert body["idle_timeout_seconds"] == 30 * 60
    assert "password_hash" not in body["user"]
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE}={body['token']};")
    assert "httponly" in set_cookie.lower()
    assert "samesite=strict" in set_cookie.lower()


def test_the_cookie_alone_authenticates(client: TestClient, dispatcher: User) -> None:
    client.base_url = "https://testserver"  # the cookie is Secure
    sign_in(client, "a.virtanen")

    with_cookie = client.get("/api/auth/me")  # no Authorization header
    client.cookies.clear()
    without = client.get("/api/auth/me")

    assert with_cookie.status_code == 200, with_cookie.text
    assert with_cookie.json()["user"]["username"] == "a.virtanen"
    assert with_cookie.json()["via"] == "session"
    problem(without, 401, "sign in first")


def test_wrong_password_is_a_401_problem(client: TestClient, dispatcher: User) -> None:
    response = login(client, "a.virtanen", WRONG_PASSWORD)

    problem(response, 401, BAD_LOGIN)
    assert response.headers["www-authenticate"] == "Bearer"
    assert COOKIE not in response.cookies


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(
    client: TestClient, dispatcher: User
) -> None:
    wrong_password = login(client, "a.virtanen", WRONG_PASSWORD)
    unknown_user = login(client, "no.such.user", WRONG_PASSWORD)

    problem(unknown_user, 401, BAD_LOGIN)
    assert unknown_user.json() == wrong_password.json()


def test_failed_logins_are_counted_and_audited_although_the_request_fails(
    client: TestClient, db: Session, dispatcher: User
) -> None:
    for _ in range(3):
        problem(login(client, "a.virtanen", WRONG_PASSWORD), 401, BAD_LOGIN)
    problem(login(client, "nobody.here", WRONG_PASSWORD), 401, BAD_LOGIN)

    assert reload_user(db, dispatcher.id).failed_logins == 3
    failures = audit_trail(db, "auth.login_failed")
    assert [(e.outcome, e.actor_user_id) for e in failures] == [
        ("denied", dispatcher.id),
        ("denied", dispatcher.id),
        ("denied", dispatcher.id),
        ("denied", None),
    ]
    assert details_of(failures[-1])["username"] == "nobody.here"


def test_a_successful_login_resets_the_failure_count(
    client: TestClient, db: Session, dispatcher: User
) -> None:
    for _ in range(2):
        login(client, "a.virtanen", WRONG_PASSWORD)
    sign_in(client, "a.virtanen")

    assert reload_user(db, dispatcher.id).failed_logins == 0


def test_five_failures_lock_the_account_for_ten_minutes(
    client: TestClient, db: Session, frozen_clock: Clock, dispatcher: User
) -> None:
    for _ in range(4):
        problem(login(client, "a.virtanen", WRONG_PASSWORD), 401, BAD_LOGIN)
    problem(login(client, "a.virtanen", WRONG_PASSWORD), 401, "locked for 10 minutes")

    problem(login(client, "a.virtanen"), 401, "locked")  # the right password, still refused
    frozen_clock.advance(minutes=9, seconds=59)
    problem(login(client, "a.virtanen"), 401, "locked")
    frozen_clock.advance(seconds=2)
    assert login(client, "a.virtanen").status_code == 200

    assert len(audit_trail(db, "auth.login_failed")) == 7
    assert all(e.outcome == "denied" for e in audit_trail(db, "auth.login_failed"))


# --- session lifetime ------------------------------------------------------------------


def test_a_session_used_within_the_idle_timeout_lives_on_then_expires_when_idle(
    client: TestClient, frozen_clock: Clock, dispatcher: User
) -> None:
    token = sign_in(client, "a.virtanen")

    frozen_clock.advance(minutes=29)
    assert me(client, token).status_code == 200
    frozen_clock.advance(minutes=31)
    problem(me(client, token), 401, "expired")


def test_a_session_unused_for_thirty_minutes_expires(
    client: TestClient, frozen_clock: Clock, dispatcher: User
) -> None:
    token = sign_in(client, "a.virtanen")

    frozen_clock.advance(minutes=30)

    problem(me(client, token), 401, "expired")


def test_use_every_twenty_minutes_keeps_the_session_alive(
    client: TestClient, frozen_clock: Clock, dispatcher: User
) -> None:
    token = sign_in(client, "a.virtanen")

    for _ in range(4):  # 80 minutes in all, never 30 idle
        frozen_clock.advance(minutes=20)
        assert me(client, token).status_code == 200


def test_last_seen_is_refreshed_at_most_once_a_minute(
    client: TestClient, db: Session, frozen_clock: Clock, dispatcher: User
) -> None:
    signed_in_at = frozen_clock.now
    token = sign_in(client, "a.virtanen")

    frozen_clock.advance(seconds=30)
    assert me(client, token).status_code == 200
    assert _last_seen(db) == signed_in_at
    frozen_clock.advance(seconds=30)
    assert me(client, token).status_code == 200
    assert _last_seen(db) == frozen_clock.now


def _last_seen(db: Session) -> datetime | None:
    db.expire_all()
    value = db.scalar(select(LoginSession.last_seen_at))
    db.commit()
    return value


def test_a_session_ends_after_twelve_hours_however_busy(
    client: TestClient, frozen_clock: Clock, dispatcher: User
) -> None:
    started = frozen_clock.now
    response = login(client, "a.virtanen")
    token = response.json()["token"]
    expires_at = datetime.fromisoformat(response.json()["expires_at"])
    assert expires_at == started + timedelta(hours=12)

    while frozen_clock.now < started + timedelta(hours=11, minutes=40):
        frozen_clock.advance(minutes=20)
        assert me(client, token).status_code == 200, frozen_clock.now
    frozen_clock.advance(minutes=20)

    problem(me(client, token), 401, "expired")


def test_logout_ends_the_session_and_is_audited(
    client: TestClient, db: Session, dispatcher: User
) -> None:
    token = sign_in(client, "a.virtanen")

    response = client.post("/api/auth/logout", headers=bearer(token))

    assert response.status_code == 204, response.text
    assert COOKIE not in client.cookies
    problem(me(client, token), 401, "not signed in")
    [entry] = audit_trail(db, "auth.logout")
    assert entry.actor_user_id == dispatcher.id
    assert entry.record_type == "session"


def test_a_disabled_user_loses_the_session_they_have(
    client: TestClient, dispatcher: User, admin_token: str
) -> None:
    token = sign_in(client, "a.virtanen")
    assert me(client, token).status_code == 200

    response = client.patch(
        f"/api/users/{dispatcher.id}", json={"is_active": False}, headers=bearer(admin_token)
    )

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    problem(me(client, token), 401, "not signed in")
    problem(login(client, "a.virtanen"), 401, BAD_LOGIN)
    # Enabling the account again does not bring the old session back.
    enable = {"is_active": True}
    assert (
        client.patch(
            f"/api/users/{dispatcher.id}", json=enable, headers=bearer(admin_token)
        ).status_code
        == 200
    )
    problem(me(client, token), 401, "not signed in")


@pytest.mark.parametrize(
    "change", [{"password": "a brand new passphrase"}, {"reset_second_factor": True}]
)
def test_a_password_change_or_factor_reset_signs_the_user_out(
    client: TestClient, dispatcher: User, admin_token: str, change: dict[str, object]
) -> None:
    token = sign_in(client, "a.virtanen")
    response = client.patch(f"/api/users/{dispatcher.id}", json=change, headers=bearer(admin_token))
    assert response.status_code == 200, response.text
    problem(me(client, token), 401, "not signed in")


# --- API tokens ------------------------------------------------------------------------


@pytest.fixture
def device(world: World, agency: Agency) -> User:
    """A camera worker account: API tokens only, no password."""
    return world.user("camera.worker", agency, [Role.VIDEO_OPERATOR], password=None)


def issue_token(
    client: TestClient, admin_token: str, user: User, **extra: object
) -> dict[str, Any]:
    """POST /api/tokens as the admin; the created token's body."""
    response = client.post(
        "/api/tokens",
        json={"user_id": user.id, "name": "camera-1", **extra},
        headers=bearer(admin_token),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_api_token_authenticates_and_only_its_digest_is_stored(
    client: TestClient, db: Session, admin_token: str, device: User
) -> None:
    created = issue_token(client, admin_token, device)
    token = created["token"]

    response = me(client, token)

    assert response.status_code == 200, response.text
    assert response.json()["user"]["username"] == "camera.worker"
    assert response.json()["via"] == "token"
    stored = db.get(ApiToken, created["id"])
    assert stored is not None
    assert stored.token_digest != token
    assert stored.token_digest == hashlib.sha256(token.encode()).hexdigest()
    db.commit()
    listed = client.get("/api/tokens", headers=bearer(admin_token)).json()
    assert created["id"] in [t["id"] for t in listed]
    assert all("token" not in t for t in listed)


def test_a_revoked_api_token_is_refused(client: TestClient, admin_token: str, device: User) -> None:
    created = issue_token(client, admin_token, device)
    assert me(client, created["token"]).status_code == 200

    revoked = client.delete(f"/api/tokens/{created['id']}", headers=bearer(admin_token))

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    problem(me(client, created["token"]), 401, "revoked")
    again = client.delete(f"/api/tokens/{created['id']}", headers=bearer(admin_token))
    problem(again, 409, "already revoked")


def test_an_expired_api_token_is_refused(
    client: TestClient, frozen_clock: Clock, admin_token: str, device: User
) -> None:
    created = issue_token(client, admin_token, device, expires_in_days=1)

    frozen_clock.advance(hours=23)
    assert me(client, created["token"]).status_code == 200
    frozen_clock.advance(days=2)

    problem(me(client, created["token"]), 401, "expired")


def test_a_password_less_account_cannot_log_in(client: TestClient, device: User) -> None:
    for password in (PASSWORD, "camera.worker", "x"):
        problem(login(client, "camera.worker", password), 401, BAD_LOGIN)


def test_an_unknown_token_is_refused(client: TestClient) -> None:
    problem(me(client, "sft_not-a-real-token"), 401, "unknown or revoked")
    problem(me(client, "sfs_not-a-real-session"), 401, "not signed in")
    problem(me(client, "something-else"), 401, "unrecognised")


# --- TOTP second factor (real time: pyotp reads the system clock) ----------------------


def require_second_factor(client: TestClient, admin_token: str, agency: Agency) -> None:
    """Make dispatchers of ``agency`` sign in with TOTP."""
    response = client.put(
        f"/api/agencies/{agency.id}/mfa-policy",
        json={"required_roles": ["dispatcher"]},
        headers=bearer(admin_token),
    )
    assert response.status_code == 200, response.text
    assert response.json()["mfa_required_roles"] == ["dispatcher"]


def enrol(client: TestClient, token: str) -> str:
    """Enrol a TOTP authenticator with the session ``token``; returns its secret."""
    started = client.post("/api/auth/totp", headers=bearer(token))
    assert started.status_code == 200, started.text
    secret: str = started.json()["secret"]
    confirmed = client.post(
        "/api/auth/totp/confirm", json={"otp": current_code(secret)}, headers=bearer(token)
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["totp_confirmed"] is True
    return secret


def test_a_required_role_gets_an_enrolment_only_session(
    client: TestClient, agency: Agency, dispatcher: User, admin_token: str
) -> None:
    require_second_factor(client, admin_token, agency)

    response = login(client, "a.virtanen")

    assert response.status_code == 200, response.text
    assert response.json()["second_factor_enrollment_required"] is True
    token = response.json()["token"]
    problem(client.get("/api/agencies", headers=bearer(token)), 403, "second factor")
    assert me(client, token).json()["permissions"] == ["self"]


def test_enrolment_gives_a_secret_and_a_provisioning_uri(
    client: TestClient, agency: Agency, dispatcher: User, admin_token: str
) -> None:
    require_second_factor(client, admin_token, agency)
    token = sign_in(client, "a.virtanen")

    response = client.post("/api/auth/totp", headers=bearer(token))

    assert response.status_code == 200, response.text
    setup = response.json()
    assert len(setup["secret"]) >= 16
    uri = setup["provisioning_uri"]
    assert uri.startswith("otpauth://totp/")
    assert "a.virtanen" in uri
    assert f"secret={setup['secret']}" in uri
    assert "issuer=Signalfire" in uri


def test_a_wrong_code_does_not_confirm_enrolment(
    client: TestClient, db: Session, agency: Agency, dispatcher: User, admin_token: str
) -> None:
    require_second_factor(client, admin_token, agency)
    token = sign_in(client, "a.virtanen")
    secret = client.post("/api/auth/totp", headers=bearer(token)).json()["secret"]

    response = client.post(
        "/api/auth/totp/confirm", json={"otp": wrong_code(secret)}, headers=bearer(token)
    )

    problem(response, 422, "does not match")
    assert reload_user(db, dispatcher.id).totp_confirmed is False
    problem(client.get("/api/agencies", headers=bearer(token)), 403, "second factor")


def test_after_enrolment_sign_in_needs_the_current_code(
    client: TestClient, agency: Agency, dispatcher: User, admin_token: str, frozen_clock: Clock
) -> None:
    require_second_factor(client, admin_token, agency)
    token = sign_in(client, "a.virtanen")
    secret = enrol(client, token)
    assert client.get("/api/agencies", headers=bearer(token)).status_code == 200
    frozen_clock.advance(seconds=30)  # the enrolment code is spent; wait for the next one

    problem(login(client, "a.virtanen"), 401, "second factor")
    problem(login(client, "a.virtanen", otp=wrong_code(secret)), 401, "second-factor code")
    response = login(client, "a.virtanen", otp=current_code(secret))

    assert response.status_code == 200, response.text
    assert response.json()["second_factor_enrollment_required"] is False
    full = response.json()["token"]
    assert client.get("/api/agencies", headers=bearer(full)).status_code == 200


def test_a_code_is_accepted_only_once(
    client: TestClient, agency: Agency, dispatcher: User, admin_token: str, frozen_clock: Clock
) -> None:
    require_second_factor(client, admin_token, agency)
    secret = enrol(client, sign_in(client, "a.virtanen"))
    frozen_clock.advance(seconds=30)
    code = current_code(secret)
    assert login(client, "a.virtanen", otp=code).status_code == 200
    problem(login(client, "a.virtanen", otp=code), 401, "second-factor code")
    frozen_clock.advance(seconds=30)
    assert login(client, "a.virtanen", otp=current_code(secret)).status_code == 200


def test_an_admin_reset_clears_the_second_factor(
    client: TestClient, db: Session, agency: Agency, dispatcher: User, admin_token: str
) -> None:
    require_second_factor(client, admin_token, agency)
    enrol(client, sign_in(client, "a.virtanen"))

    response = client.patch(
        f"/api/users/{dispatcher.id}",
        json={"reset_second_factor": True},
        headers=bearer(admin_token),
    )

    assert response.status_code == 200, response.text
    assert response.json()["totp_confirmed"] is False
    user = reload_user(db, dispatcher.id)
    assert (user.totp_secret, user.totp_confirmed) == (None, False)
    again = login(client, "a.virtanen")  # no code asked; enrolment is required again
    assert again.status_code == 200, again.text
    assert again.json()["second_factor_enrollment_required"] is True
