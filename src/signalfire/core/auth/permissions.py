"""Roles, permissions and the table that joins them.

Every route declares one permission; a role holds a fixed set. Anything not granted
here is denied.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The jobs people (and vehicle terminals) do in an emergency-services agency."""

    CALL_TAKER = "call_taker"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    DNA_ANALYST = "dna_analyst"
    DNA_SUPERVISOR = "dna_supervisor"  # a laboratory's technical leader: approves familial runs
    VIDEO_OPERATOR = "video_operator"
    AUDITOR = "auditor"
    ADMIN = "admin"
    UNIT_TERMINAL = "unit_terminal"  # a vehicle's terminal or AVL gateway (API token only)
    MONITOR = "monitor"  # a monitoring system scraping /metrics (API token only)


class Perm(StrEnum):
    """Things a route can require."""

    SELF = "self"  # one's own session, profile and second factor
    AGENCY_READ = "agency.read"
    AGENCY_MANAGE = "agency.manage"
    USER_READ = "user.read"
    USER_MANAGE = "user.manage"
    TOKEN_MANAGE = "token.manage"  # noqa: S105 (a permission name)
    AUDIT_READ = "audit.read"
    INCIDENT_READ = "incident.read"
    INCIDENT_CREATE = "incident.create"
    INCIDENT_UPDATE = "incident.update"
    CALLER_READ = "caller.read"  # caller name and number: protected, audited on read
    NATURE_MANAGE = "nature.manage"
    UNIT_READ = "unit.read"
    UNIT_MANAGE = "unit.manage"
    UNIT_STATUS = "unit.status"
    POSITION_REPORT = "position.report"
    PLAN_READ = "plan.read"
    PLAN_MANAGE = "plan.manage"
    DISPATCH = "dispatch"
    LIVE = "live"  # the WebSocket stream of incidents, units and alerts
    ALERT_REPORT = "alert.report"  # alarm receivers and camera workers
    DNA_READ = "dna.read"  # a stored profile: justified by purpose and case, audited
    DNA_WRITE = "dna.write"  # import profiles and allele frequency tables
    DNA_SEARCH = "dna.search"  # search the profile database (justified, audited)
    DNA_EXPUNGE = "dna.expunge"  # delete a profile for good (justified, audited)
    DNA_FAMILIAL_MANAGE = "dna.familial.manage"  # switch familial search on or off (admins)
    DNA_FAMILIAL_APPROVE = "dna.familial.approve"  # approve one familial search run
    CAMERA_READ = "camera.read"  # the camera registry and each camera's health
    CAMERA_MANAGE = "camera.manage"  # add, change and remove cameras
    VIDEO_VIEW = "video.view"  # snapshots and analysis events
    VIDEO_HOLD = "video.hold"  # keep recordings past retention for a case (audited)
    VIDEO_EXPORT = "video.export"  # recorded clips leave the system (justified, audited)
    METRICS_READ = "metrics.read"  # the Prometheus exposition at /metrics


_EVERYONE = frozenset({Perm.SELF, Perm.AGENCY_READ})
_CALL_TAKING = frozenset(
    {
        Perm.INCIDENT_READ,
        Perm.INCIDENT_CREATE,
        Perm.INCIDENT_UPDATE,
        Perm.CALLER_READ,
        Perm.UNIT_READ,
        Perm.PLAN_READ,
        Perm.LIVE,
    }
)
_DISPATCHING = _CALL_TAKING | {Perm.DISPATCH, Perm.UNIT_STATUS}
_CONFIGURING = frozenset({Perm.UNIT_MANAGE, Perm.PLAN_MANAGE, Perm.NATURE_MANAGE})
_VIDEO = frozenset({Perm.CAMERA_READ, Perm.VIDEO_VIEW, Perm.VIDEO_HOLD, Perm.VIDEO_EXPORT})

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.CALL_TAKER: _EVERYONE | _CALL_TAKING,
    Role.DISPATCHER: _EVERYONE | _DISPATCHING,
    Role.SUPERVISOR: _EVERYONE
    | _DISPATCHING
    | _CONFIGURING
    | _VIDEO
    | {Perm.USER_READ, Perm.CAMERA_MANAGE},
    # Analysts study incidents and units, never who called.
    Role.ANALYST: _EVERYONE | {Perm.INCIDENT_READ, Perm.UNIT_READ, Perm.PLAN_READ},
    # DNA profiles: only DNA analysts, and every use is tied to a purpose and a case.
    Role.DNA_ANALYST: _EVERYONE
    | {Perm.DNA_READ, Perm.DNA_WRITE, Perm.DNA_SEARCH, Perm.DNA_EXPUNGE},
    # Familial search runs only with an approval that someone else recorded.
    Role.DNA_SUPERVISOR: _EVERYONE | {Perm.DNA_FAMILIAL_APPROVE},
    Role.VIDEO_OPERATOR: _EVERYONE | _VIDEO | {Perm.INCIDENT_READ, Perm.UNIT_READ, Perm.LIVE},
    # Auditors read the trail; they change nothing.
    Role.AUDITOR: _EVERYONE | {Perm.AUDIT_READ},
    # Admins run the install but do not read the audit trail (separation of duties).
    Role.ADMIN: _EVERYONE
    | _CONFIGURING
    | {
        Perm.AGENCY_MANAGE,
        Perm.USER_READ,
        Perm.USER_MANAGE,
        Perm.TOKEN_MANAGE,
        Perm.UNIT_READ,
        Perm.DNA_FAMILIAL_MANAGE,  # the switch, not the profiles
        Perm.CAMERA_READ,  # the registry and health, not the pictures
        Perm.CAMERA_MANAGE,
        Perm.METRICS_READ,
    },
    # Devices: vehicle terminals and AVL gateways, alarm receivers, camera workers.
    Role.UNIT_TERMINAL: frozenset(
        {Perm.POSITION_REPORT, Perm.UNIT_STATUS, Perm.UNIT_READ, Perm.ALERT_REPORT}
    ),
    # Prometheus or another scraper: the request and latency counters, nothing else.
    Role.MONITOR: frozenset({Perm.METRICS_READ}),
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
