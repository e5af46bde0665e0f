"""``signalfire agency`` and ``signalfire user``: the operator's account tools."""

from __future__ import annotations

import sys
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel, SecretStr, ValidationError

from signalfire.accounts import service, tokens
from signalfire.accounts.schemas import AgencyCreate, TokenCreate, UserCreate, UserUpdate
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.cli_support import fail, runtime, unit_of_work

agency_app = typer.Typer(help="Agencies sharing this install.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts and API tokens.", no_args_is_help=True)

M = TypeVar("M", bound=BaseModel)


def _validated(build: type[M], **fields: object) -> M:
    try:
        return build(**fields)
    except ValidationError as exc:
        for error in exc.errors():
            fail(f"invalid {'.'.join(map(str, error['loc']))}: {error['msg']}")
        raise typer.Exit(2) from exc


@agency_app.command("add")
def agency_add(
    code: Annotated[str, typer.Argument(help="Short unique code, e.g. HKI-FIRE.")],
    name: Annotated[str, typer.Argument(help="Full name.")],
    kind: Annotated[
        str, typer.Option(help="police, fire, ems, dispatch_center or other.")
    ] = "other",
) -> None:
    """Register an agency."""
    data = _validated(AgencyCreate, code=code, name=name, kind=kind)
    with unit_of_work(runtime()) as db:
        agency = service.create_agency(db=db, actor=Actor.operator(), data=data)
        typer.echo(f"agency {agency.code} created (id {agency.id})")


@agency_app.command("list")
def agency_list() -> None:
    """List agencies."""
    with unit_of_work(runtime()) as db:
        for agency in service.list_agencies(db=db):
            typer.echo(f"{agency.id:>4}  {agency.code:<16} {agency.kind:<16} {agency.name}")


def _read_password(from_stdin: bool) -> SecretStr:
    if from_stdin:
        return SecretStr(sys.stdin.readline().rstrip("\n"))
    return SecretStr(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Sign-in name, e.g. a.virtanen.")],
    agency: Annotated[str, typer.Option(help="Agency code.")],
    role: Annotated[list[Role], typer.Option(help="A role; repeat for several.")],
    name: Annotated[str | None, typer.Option(help="Display name (defaults to username).")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
    no_password: Annotated[
        bool, typer.Option(help="Device/worker account: API tokens only, no password.")
    ] = False,
) -> None:
    """Add a user (asks for the password unless told otherwise)."""
    rt = runtime()
    password = None if no_password else _read_password(password_stdin)
    with unit_of_work(rt) as db:
        agency_row = service.get_agency_by_code(db=db, code=agency)
        data = _validated(
            UserCreate,
            username=username,
            display_name=name or username,
            password=password,
            roles=role,
            agency_id=agency_row.id,
        )
        user = service.create_user(db=db, actor=Actor.operator(), data=data)
        typer.echo(f"user {user.username} created (id {user.id}) in {agency_row.code}")


@user_app.command("list")
def user_list() -> None:
    """List every user."""
    with unit_of_work(runtime()) as db:
        for user in service.list_users(db=db, actor=Actor.operator()):
            state = "active" if user.is_active else "disabled"
            typer.echo(
                f"{user.id:>4}  {user.username:<24} {user.agency.code:<16} {state:<9}"
                f"{','.join(user.roles)}"
            )


@user_app.command("unlock")
def user_unlock(username: str) -> None:
    """Clear a lockout after failed sign-ins."""
    with unit_of_work(runtime()) as db:
        user = service.get_user_by_name(db=db, username=username)
        service.update_user(
            db=db, actor=Actor.operator(), user_id=user.id, data=UserUpdate(unlock=True)
        )
        typer.echo(f"{username} unlocked")


@user_app.command("token")
def user_token(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for, e.g. camera-worker-1.")],
    days: Annotated[int | None, typer.Option(help="Expire after this many days.")] = None,
) -> None:
    """Issue an API token for a device or worker account; printed once."""
    with unit_of_work(runtime()) as db:
        user = service.get_user_by_name(db=db, username=username)
        data = _validated(TokenCreate, user_id=user.id, name=name, expires_in_days=days)
        _record, token = tokens.create(db=db, actor=Actor.operator(), data=data)
        typer.echo(token)
