"""HTTP routes for response plans, sending units and unit status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from signalfire.api.permissions import requires
from signalfire.api.session import DbSession, get_runtime
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm
from signalfire.core.errors import NotFound
from signalfire.core.runtime import Runtime
from signalfire.core.schemas import RequestBody
from signalfire.dispatch import plans, recommend, service
from signalfire.dispatch.models import Assignment, ResponsePlan
from signalfire.dispatch.recommend import Recommendation
from signalfire.dispatch.schemas import AssignmentRead, AssignRequest, PlanCreate, PlanRead
from signalfire.incidents import closing
from signalfire.incidents import service as incidents
from signalfire.incidents.models import Incident
from signalfire.incidents.schemas import CloseRequest, IncidentRead
from signalfire.roads import service as roads
from signalfire.units.models import Unit
from signalfire.units.schemas import StatusChange, UnitRead

router = APIRouter(prefix="/api", tags=["dispatch"])
Dispatcher = Annotated[Actor, requires(Perm.DISPATCH)]
PlanReader = Annotated[Actor, requires(Perm.PLAN_READ)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


class ReassignRequest(RequestBody):
    incident_id: int


@router.get("/plans", response_model=list[PlanRead])
def list_plans(db: DbSession, actor: PlanReader) -> list[ResponsePlan]:
    """The agency's response plans (run cards)."""
    return plans.list_plans(db=db, actor=actor)


@router.post("/plans", response_model=PlanRead, status_code=201)
def create_plan(
    data: PlanCreate, db: DbSession, actor: Annotated[Actor, requires(Perm.PLAN_MANAGE)]
) -> ResponsePlan:
    """Store a run card: for a nature (priority, area), which unit types and how many."""
    return plans.create(db=db, actor=actor, data=data)


@router.delete("/plans/{plan_id}", status_code=204)
def delete_plan(
    plan_id: int, db: DbSession, actor: Annotated[Actor, requires(Perm.PLAN_MANAGE)]
) -> Response:
    plans.delete(db=db, actor=actor, plan_id=plan_id)
    return Response(status_code=204)


@router.get("/incidents/{incident_id}/plan", response_model=PlanRead)
def incident_plan(incident_id: int, db: DbSession, actor: PlanReader) -> ResponsePlan:
    """The run card that fits the incident's nature and priority."""
    incident = incidents.get(db=db, actor=actor, incident_id=incident_id)
    plan = plans.plan_for(
        db=db,
        agency_id=incident.agency_id,
        nature_code=incident.nature_code,
        priority=incident.priority,
    )
    if plan is None:
        raise NotFound(
            f"no response plan fits {incident.nature_code} priority "
            f"{incident.priority}; add one or a '*' fallback"
        )
    return plan


@router.post("/incidents/{incident_id}/recommendation", response_model=Recommendation)
def recommend_units(
    incident_id: int,
    db: DbSession,
    actor: Dispatcher,
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> Recommendation:
    """Units to send per requirement of the run card, ranked by road ETA, with reasons."""
    road = roads.sync_router(db=db, network=runtime.roads)  # closures of every replica
    return recommend.recommend(db=db, actor=actor, incident_id=incident_id, router=road)


@router.get("/incidents/{incident_id}/units", response_model=list[AssignmentRead])
def list_assignments(
    incident_id: int, db: DbSession, actor: Annotated[Actor, requires(Perm.INCIDENT_READ)]
) -> list[Assignment]:
    """Units sent to the incident, current and past."""
    return service.assignments(db=db, actor=actor, incident_id=incident_id)


@router.post("/incidents/{incident_id}/units", response_model=list[AssignmentRead], status_code=201)
def assign_units(
    incident_id: int, data: AssignRequest, db: DbSession, actor: Dispatcher
) -> list[Assignment]:
    """Dispatch units; a unit that is not free gets a 409 naming its allowed statuses."""
    return service.assign(db=db, actor=actor, incident_id=incident_id, unit_ids=data.unit_ids)


@router.delete("/incidents/{incident_id}/units/{unit_id}", response_model=UnitRead)
def unassign_unit(incident_id: int, unit_id: int, db: DbSession, actor: Dispatcher) -> Unit:
    """Cancel a unit that has not yet arrived."""
    return service.unassign(db=db, actor=actor, incident_id=incident_id, unit_id=unit_id)


@router.post("/units/{unit_id}/reassign", response_model=AssignmentRead, status_code=201)
def reassign_unit(
    unit_id: int, data: ReassignRequest, db: DbSession, actor: Dispatcher
) -> Assignment:
    """Divert a unit on its way to another incident."""
    return service.reassign(db=db, actor=actor, unit_id=unit_id, incident_id=data.incident_id)


@router.post("/units/{unit_id}/status", response_model=UnitRead)
def change_unit_status(
    unit_id: int,
    data: StatusChange,
    db: DbSession,
    actor: Annotated[Actor, requires(Perm.UNIT_STATUS)],
) -> Unit:
    """A status from the unit's terminal, the radio or the dispatcher (409 if illegal)."""
    return service.change_unit_status(
        db=db, actor=actor, unit_id=unit_id, to=data.status, at=data.at, source=data.source
    )


@router.post("/incidents/{incident_id}/close", response_model=IncidentRead)
def close_incident(
    incident_id: int, data: CloseRequest, db: DbSession, actor: Dispatcher
) -> Incident:
    """Close with a disposition once every unit has cleared."""
    return closing.close(
        db=db,
        actor=actor,
        incident_id=incident_id,
        disposition=data.disposition,
        responders=service.RESPONDERS,
    )


@router.post("/incidents/{incident_id}/cancel", response_model=IncidentRead)
def cancel_incident(
    incident_id: int, data: CloseRequest, db: DbSession, actor: Dispatcher
) -> Incident:
    """Cancel; units still on their way are cancelled with it."""
    return closing.cancel(
        db=db,
        actor=actor,
        incident_id=incident_id,
        disposition=data.disposition,
        responders=service.RESPONDERS,
    )
