"""The demo install: an embedded database holding the demo city, its people and units.

The first run builds it; later runs reuse it; ``reset`` starts clean. Every demo login
shares one random password, kept in ``demo-password.txt`` (mode 600) beside the
database so each start can print it again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from signalfire.core import migrate
from signalfire.core.db import transaction
from signalfire.core.runtime import Runtime
from signalfire.geo.roads import helsinki_extract
from signalfire.sim import city

PASSWORD_FILE = "demo-password.txt"  # noqa: S105 (a file name)


@dataclass(frozen=True, slots=True)
class DemoLogins:
    """Who can sign in to the demo, all with ``password``."""

    usernames: list[str]
    password: str
    built: bool  # False when an earlier run had built the city


def prepare(rt: Runtime) -> DemoLogins:
    """Migrate the database and build the demo city once."""
    migrate.upgrade(rt.engine)
    secret = rt.settings.data_dir / PASSWORD_FILE
    usernames = [name for name, _agency, _roles in city.DEMO_USERS]
    with transaction(rt.sessions) as db:
        if city.is_built(db):
            return DemoLogins(usernames, secret.read_text().strip(), built=False)
        password = secrets.token_urlsafe(12)
        mapped = city.sites_from_map(rt.settings.geo.extract or helsinki_extract())
        city.build(db, sites=city.choose_sites(mapped), password=password)
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text(password + "\n")
        secret.chmod(0o600)
    return DemoLogins(usernames, password, built=True)


def reset(rt: Runtime) -> list[Path]:
    """Delete the embedded demo database (SQLite only); returns the files removed."""
    url = make_url(rt.settings.database.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ValueError("--reset only removes an embedded SQLite database; drop others yourself")
    rt.engine.dispose()
    database = Path(url.database)
    removed = []
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        if path.exists():
            path.unlink()
            removed.append(path)
    (rt.settings.data_dir / PASSWORD_FILE).unlink(missing_ok=True)
    return removed
