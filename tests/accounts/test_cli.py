"""The ``signalfire agency`` and ``signalfire user`` commands, on the test database.

The CLI builds its runtime with ``load_settings()`` on every command (not the cached
``get_settings()``), so setting ``SIGNALFIRE_DATABASE__URL`` per test is enough.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from signalfire.accounts.models import User
from signalfire.accounts.service import get_user_by_name
from signalfire.cli import app
from tests.conftest import bearer

PASSWORD = "j.smith's long passphrase"
WRONG_PASSWORD = "not the right password"


@pytest.fixture(autouse=True)
def cli_database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    """Point the CLI at this test's database."""
    monkeypatch.setenv("SIGNALFIRE_DATABASE__URL", database_url)
    return database_url


def sf(*args: str, stdin: str | None = None) -> Result:
    """Run ``signalfire ARGS``."""
    return CliRunner().invoke(app, list(args), input=stdin)


def ok(*args: str, stdin: str | None = None) -> str:
    """Run a command that must succeed; its standard output."""
    result = sf(*args, stdin=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def one_line(text: str) -> str:
    """``text`` with every run of whitespace made one space (Rich wraps long lines)."""
    return " ".join(text.split())


def add_police() -> None:
    ok("agency", "add", "HKI-POL", "Helsinki Police", "--kind", "police")


def add_smith() -> None:
    add_police()
    ok(
        "user", "add", "j.smith", "--agency", "HKI-POL",
        "--role", "dispatcher", "--role", "supervisor", "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )  # fmt: skip


def stored(db: Session, username: str) -> User:
    """The committed user ``username`` (ends ``db``'s transaction)."""
    db.expire_all()
    user = get_user_by_name(db=db, username=username)
    db.commit()
    return user


def login(client: TestClient, password: str = PASSWORD) -> int:
    """Status of signing in as j.smith over the API."""
    body = {"username": "j.smith", "password": password}
    return client.post("/api/auth/login", json=body).status_code


# --- agencies --------------------------------------------------------------------------


def test_agency_add_registers_an_agency() -> None:
    out = ok("agency", "add", "HKI-POL", "Helsinki Police", "--kind", "police")

    assert out.startswith("agency HKI-POL created (id ")
    listed = ok("agency", "list")
    assert one_line(listed).endswith("HKI-POL police Helsinki Police")


def test_agency_add_refuses_a_taken_code() -> None:
    add_police()

    result = sf("agency", "add", "HKI-POL", "Another Police", "--kind", "police")

    assert result.exit_code == 1
    assert "'HKI-POL' is already taken" in result.stderr


def test_agency_add_refuses_an_unknown_kind() -> None:
    result = sf("agency", "add", "HKI-NAV", "Helsinki Navy", "--kind", "navy")

    assert result.exit_code == 2
    assert "invalid kind" in result.stderr
    assert ok("agency", "list") == ""


# --- users -----------------------------------------------------------------------------


def test_user_add_reads_the_password_from_stdin_and_user_list_shows_the_user(
    client: TestClient, db: Session
) -> None:
    add_police()

    out = ok(
        "user", "add", "j.smith", "--agency", "HKI-POL",
        "--role", "dispatcher", "--role", "supervisor", "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )  # fmt: skip

    assert out.startswith("user j.smith created (id ")
    assert out.rstrip().endswith("in HKI-POL")
    assert one_line(ok("user", "list")).endswith("j.smith HKI-POL active dispatcher,supervisor")
    assert stored(db, "j.smith").roles == ["dispatcher", "supervisor"]
    assert login(client) == 200


def test_user_token_prints_a_token_that_authenticates(client: TestClient) -> None:
    add_smith()

    token = ok("user", "token", "j.smith", "--name", "worker").strip()

    assert token.startswith("sft_")
    response = client.get("/api/auth/me", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["user"]["username"] == "j.smith"
    assert response.json()["via"] == "token"


def test_user_add_refuses_an_unknown_role() -> None:
    add_police()

    result = sf(
        "user", "add", "j.smith", "--agency", "HKI-POL", "--role", "wizard", "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )  # fmt: skip

    assert result.exit_code == 2
    message = one_line(result.stderr)
    assert "Invalid value for '--role'" in message
    assert "'wizard' is not one of" in message
    assert ok("user", "list") == ""


def test_user_add_refuses_an_unknown_agency() -> None:
    add_police()

    result = sf(
        "user", "add", "j.smith", "--agency", "NOPE", "--role", "dispatcher", "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )  # fmt: skip

    assert result.exit_code == 1
    assert "no agency with code 'NOPE'" in result.stderr
    assert ok("user", "list") == ""


def test_user_add_refuses_a_short_password() -> None:
    add_police()

    result = sf(
        "user", "add", "j.smith", "--agency", "HKI-POL", "--role", "dispatcher",
        "--password-stdin", stdin="too short\n",
    )  # fmt: skip

    assert result.exit_code == 2
    assert "invalid password" in result.stderr
    assert "too short" not in result.output
    assert ok("user", "list") == ""


def test_user_add_explains_an_invalid_username() -> None:
    # Regression: messages were printed as Rich markup, so "[a-z0-9]" in the pattern was
    # taken for a style tag and dropped ("should match pattern '^{2,63}$'").
    add_police()

    result = sf(
        "user", "add", "J Smith", "--agency", "HKI-POL", "--role", "dispatcher",
        "--password-stdin", stdin=f"{PASSWORD}\n",
    )  # fmt: skip

    assert result.exit_code == 2
    assert "invalid username" in result.stderr
    assert "^[a-z0-9][a-z0-9._-]{2,63}$" in one_line(result.stderr)


def test_user_unlock_clears_a_lockout(client: TestClient, db: Session) -> None:
    add_smith()
    for _ in range(5):
        assert login(client, WRONG_PASSWORD) == 401
    assert login(client) == 401  # locked from this address, right password or not

    out = ok("user", "unlock", "j.smith")

    assert out.strip() == "j.smith unlocked"
    user = stored(db, "j.smith")
    assert (user.locked_until, user.failed_logins) == (None, 0)
    assert login(client) == 200


def test_user_unlock_names_an_unknown_user() -> None:
    result = sf("user", "unlock", "nobody")

    assert result.exit_code == 1
    assert "no user called 'nobody'" in result.stderr


# --- configuration ---------------------------------------------------------------------


@pytest.mark.parametrize("command", [("agency", "list"), ("user", "list")])
def test_an_unknown_setting_in_the_environment_stops_every_command(
    monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("SIGNALFIRE_NOPE", "1")

    result = sf(*command)

    assert result.exit_code == 2
    assert "configuration error" in result.stderr
    assert "SIGNALFIRE_NOPE" in result.stderr


def test_a_bad_setting_value_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALFIRE_AUTH__IDLE_TIMEOUT_MINUTES", "0")

    result = sf("agency", "list")

    assert result.exit_code == 2
    assert "auth.idle_timeout_minutes" in result.stderr
    assert "greater than or equal to 1" in one_line(result.stderr)
    assert "input_value='0'" in one_line(result.stderr)  # not eaten as Rich markup


def test_each_command_reads_the_database_url_afresh(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    add_police()
    monkeypatch.setenv("SIGNALFIRE_DATABASE__URL", f"sqlite:///{tmp_path}/other.db")
    ok("db", "upgrade")

    assert ok("agency", "list") == ""


def test_an_unreachable_bus_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("SIGNALFIRE_BUS__URL", f"nats://127.0.0.1:{port}")

    result = sf("agency", "list")

    assert result.exit_code == 2
    assert f"cannot use the NATS stream SIGNALFIRE at nats://127.0.0.1:{port}" in result.stderr
    assert "SIGNALFIRE_BUS__URL" in result.stderr
