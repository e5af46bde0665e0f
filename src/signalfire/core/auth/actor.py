"""The authenticated caller, as services see it."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Literal

from signalfire.core.auth.permissions import Perm, Role, permissions_of
from signalfire.core.events import ActorRef


@dataclass(frozen=True, slots=True)
class Actor:
    """A user acting through a console session or an API token, or the install's operator.

    ``agency_id`` is ``None`` only for the operator at the command line, who acts
    across agencies (creating the first admin of a new agency, say).
    """

    user_id: int | None
    username: str
    agency_id: int | None
    roles: frozenset[Role]
    via: Literal["session", "token", "cli"]
    credential_id: int | None = None
    enrollment_only: bool = False  # signed in, but must enrol a second factor first

    @classmethod
    def operator(cls) -> Actor:
        """The person running ``signalfire`` commands on the server itself."""
        return cls(None, f"cli:{getpass.getuser()}", None, frozenset(Role), "cli")

    @property
    def permissions(self) -> frozenset[Perm]:
        """Everything the actor may do now."""
        if self.enrollment_only:
            return frozenset({Perm.SELF})
        return permissions_of(self.roles)

    def can(self, perm: Perm) -> bool:
        """Whether the actor holds ``perm``."""
        return perm in self.permissions

    def acts_in(self, agency_id: int) -> bool:
        """Whether the actor may work on records of ``agency_id``."""
        return self.agency_id is None or self.agency_id == agency_id

    def ref(self) -> ActorRef:
        """The audit trail's record of this actor."""
        return ActorRef(user_id=self.user_id, username=self.username, agency_id=self.agency_id)


@dataclass(frozen=True, slots=True)
class Justification:
    """Why sensitive data is read: a purpose, and the case it serves."""

    purpose: str
    case_number: str | None = None
