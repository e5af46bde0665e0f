"""The audit trail, for auditors: search it and check its chain."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from signalfire.api.permissions import Justified, requires
from signalfire.api.session import DbSession, get_runtime
from signalfire.core.audit import service as audit
from signalfire.core.audit import witness as audit_witness
from signalfire.core.audit.models import AuditEntry
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm
from signalfire.core.events import Event, emit
from signalfire.core.runtime import Runtime
from signalfire.core.schemas import ResponseBody, Timestamp

router = APIRouter(prefix="/api/audit", tags=["audit"])
Auditor = Annotated[Actor, requires(Perm.AUDIT_READ)]


class AuditLogRead(Event):
    """An auditor searched the trail (reading it is itself recorded)."""

    topic: ClassVar[str] = "audit.read"
    filters: dict[str, str]
    returned: int


class AuditEntryRead(ResponseBody):
    seq: int
    recorded_at: datetime
    occurred_at: datetime
    action: str
    outcome: str
    actor_user_id: int | None
    actor_username: str | None
    agency_id: int | None
    record_type: str | None
    record_id: str | None
    purpose: str | None
    case_number: str | None
    details: dict[str, Any]
    entry_hash: str


class VerifyResult(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    first_bad_seq: int | None
    breach: str | None
    message: str | None
    witness: audit_witness.Status = Field(
        description="The head set against the witness file: ok, ahead (not yet witnessed), "
        "truncated, diverged, unreadable, missing (a warning), fresh or none."
    )
    witness_seq: int | None
    witness_message: str


def _read(entry: AuditEntry) -> AuditEntryRead:
    return AuditEntryRead.model_validate(
        {
            **{k: getattr(entry, k) for k in AuditEntryRead.model_fields if k != "details"},
            "details": audit.details_of(entry),
        }
    )


@router.get("", response_model=list[AuditEntryRead])
def search_audit(
    db: DbSession,
    actor: Auditor,
    why: Justified,
    actor_user_id: int | None = None,
    action: str | None = None,
    outcome: Literal["allowed", "denied"] | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    case_number: str | None = None,
    since: Timestamp | None = None,
    until: Timestamp | None = None,
    before_seq: Annotated[int | None, Query(ge=1, description="Page: entries before this.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntryRead]:
    """Entries about the auditor's agency, newest first. Requires a stated purpose."""
    where = audit.AuditFilter(
        agency_id=actor.agency_id,
        actor_user_id=actor_user_id,
        action=action,
        outcome=outcome,
        record_type=record_type,
        record_id=record_id,
        case_number=case_number,
        since=since,
        until=until,
    )
    entries = audit.search(db, where=where, limit=limit, before_seq=before_seq)
    filters = {name: str(value) for name, value in asdict(where).items() if value is not None}
    emit(
        db,
        AuditLogRead(
            actor=actor.ref(),
            agency_id=actor.agency_id,
            record_type="audit_log",
            purpose=why.purpose,
            case_number=why.case_number,
            filters=filters,
            returned=len(entries),
        ),
    )
    return [_read(entry) for entry in entries]


@router.get("/verify", response_model=VerifyResult, dependencies=[requires(Perm.AUDIT_READ)])
def verify_audit(runtime: Annotated[Runtime, Depends(get_runtime)]) -> VerifyResult:
    """Walk the whole chain; report the first altered, removed or reordered entry, or an
    end cut off before the head in the witness file."""
    sighting = audit_witness.look(runtime.witness)  # before the snapshot
    with runtime.reader() as db:  # a long read: never hold writers up
        report = audit.verify(db)
        against = audit_witness.compare(db, sighting, report)
    finding = report.finding
    return VerifyResult(
        ok=report.ok and not against.failed,
        checked=report.checked,
        head_seq=report.head_seq,
        first_bad_seq=finding.seq if finding else None,
        breach=finding.breach if finding else None,
        message=finding.message if finding else None,
        witness=against.status,
        witness_seq=against.witness_seq,
        witness_message=against.message,
    )
