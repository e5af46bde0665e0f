"""Roles, permissions and the table that joins them.

Every route declares one permission; a role holds a fixed set. Anything not granted
here is denied.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The jobs people do in an emergency-services agency."""

    CALL_TAKER = "call_taker"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    DNA_ANALYST = "dna_analyst"
    VIDEO_OPERATOR = "video_operator"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Perm(StrEnum):
    """Things a route can require."""

    SELF = "self"  # one's own session, profile and second factor
    AGENCY_READ = "agency.read"
    AGENCY_MANAGE = "agency.manage"
    USER_READ = "user.read"
    USER_MANAGE = "user.manage"
    TOKEN_MANAGE = "token.manage"  # noqa: S105 (a permission name)
    AUDIT_READ = "audit.read"


_EVERYONE = frozenset({Perm.SELF, Perm.AGENCY_READ})

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.CALL_TAKER: _EVERYONE,
    Role.DISPATCHER: _EVERYONE,
    Role.SUPERVISOR: _EVERYONE | {Perm.USER_READ},
    Role.ANALYST: _EVERYONE,
    Role.DNA_ANALYST: _EVERYONE,
    Role.VIDEO_OPERATOR: _EVERYONE,
    # Auditors read the trail; they change nothing.
    Role.AUDITOR: _EVERYONE | {Perm.AUDIT_READ},
    # Admins run the install but do not read the audit trail (separation of duties).
    Role.ADMIN: _EVERYONE
    | {Perm.AGENCY_MANAGE, Perm.USER_READ, Perm.USER_MANAGE, Perm.TOKEN_MANAGE},
}


def permissions_of(roles: frozenset[Role]) -> frozenset[Perm]:
    """Union of the permissions of ``roles``.

    >>> sorted(p.value for p in permissions_of(frozenset({Role.AUDITOR})))
    ['agency.read', 'audit.read', 'self']
    >>> permissions_of(frozenset())
    frozenset()
    """
    granted: frozenset[Perm] = frozenset()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return granted
