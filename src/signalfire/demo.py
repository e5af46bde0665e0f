"""The demo install: an embedded database with one agency and its admin.

The demo city with stations, units and simulated calls arrives with the simulator;
until then the demo is the API with a seeded admin account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select

from signalfire.accounts import service
from signalfire.accounts.models import User
from signalfire.accounts.schemas import AgencyCreate, UserCreate
from signalfire.core import migrate
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime

DEMO_AGENCY = "DEMO"
DEMO_ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    password: str


def prepare(rt: Runtime, credentials_file: Path) -> DemoLogin:
    """Migrate the database and seed the demo agency and admin once.

    The admin's random password is kept in ``credentials_file`` (mode 600) so every
    later start can print it again.
    """
    migrate.upgrade(rt.engine)
    with transaction(rt.sessions) as db:
        if db.scalar(select(User.id).where(User.username == DEMO_ADMIN)) is not None:
            return DemoLogin(DEMO_ADMIN, credentials_file.read_text().strip())
        operator = Actor.operator()
        agency = service.create_agency(
            db=db,
            actor=operator,
            data=AgencyCreate(
                code=DEMO_AGENCY, name="Signalfire Demo Emergency Services", kind="dispatch_center"
            ),
        )
        password = secrets.token_urlsafe(12)
        service.create_user(
            db=db,
            actor=operator,
            data=UserCreate(
                username=DEMO_ADMIN,
                display_name="Demo administrator",
                password=SecretStr(password),
                roles=[Role.ADMIN, Role.SUPERVISOR],
                agency_id=agency.id,
            ),
        )
        credentials_file.parent.mkdir(parents=True, exist_ok=True)
        credentials_file.write_text(password + "\n")
        credentials_file.chmod(0o600)
    return DemoLogin(DEMO_ADMIN, password)
