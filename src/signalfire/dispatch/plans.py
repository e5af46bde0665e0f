"""Response plans (run cards): store them and find the one that fits an incident."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict, Invalid, NotFound
from signalfire.core.events import emit
from signalfire.dispatch.events import PlanChanged
from signalfire.dispatch.models import ResponsePlan
from signalfire.dispatch.schemas import PlanCreate

FALLBACK = "*"


def create(*, db: Session, actor: Actor, data: PlanCreate) -> ResponsePlan:
    """Store a run card for the caller's agency; one per nature, priority and area."""
    if actor.agency_id is None:
        raise Invalid("response plans belong to an agency")
    clash = db.scalar(
        select(ResponsePlan.id).where(
            ResponsePlan.agency_id == actor.agency_id,
            ResponsePlan.nature_code == data.nature_code,
            _same(ResponsePlan.priority, data.priority),
            _same(ResponsePlan.area, data.area),
        )
    )
    if clash:
        raise Conflict(
            f"a plan for {data.nature_code} with this priority and area exists "
            f"(id {clash}); change or delete it"
        )
    plan = ResponsePlan(
        agency_id=actor.agency_id,
        nature_code=data.nature_code,
        priority=data.priority,
        area=data.area,
        name=data.name,
        requirements=[r.model_dump(mode="json", exclude_none=True) for r in data.requirements],
    )
    db.add(plan)
    db.flush()
    emit(
        db,
        PlanChanged(
            actor=actor.ref(),
            agency_id=actor.agency_id,
            record_type="plan",
            record_id=str(plan.id),
            nature_code=plan.nature_code,
            change="created",
        ),
    )
    return plan


def _same(column: InstrumentedAttribute[Any], value: object) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def list_plans(*, db: Session, actor: Actor) -> list[ResponsePlan]:
    query = select(ResponsePlan).order_by(ResponsePlan.nature_code, ResponsePlan.priority)
    if actor.agency_id is not None:
        query = query.where(ResponsePlan.agency_id == actor.agency_id)
    return list(db.scalars(query))


def delete(*, db: Session, actor: Actor, plan_id: int) -> None:
    plan = db.get(ResponsePlan, plan_id)
    if plan is None or (actor.agency_id is not None and plan.agency_id != actor.agency_id):
        raise NotFound(f"no response plan with id {plan_id}")
    db.delete(plan)
    emit(
        db,
        PlanChanged(
            actor=actor.ref(),
            agency_id=plan.agency_id,
            record_type="plan",
            record_id=str(plan_id),
            nature_code=plan.nature_code,
            change="deleted",
        ),
    )


def plan_for(
    *, db: Session, agency_id: int, nature_code: str, priority: int, area: str | None = None
) -> ResponsePlan | None:
    """The most specific plan: nature+priority+area, then fewer, then the ``*`` fallback."""
    rows = db.scalars(
        select(ResponsePlan).where(
            ResponsePlan.agency_id == agency_id,
            ResponsePlan.nature_code.in_([nature_code, FALLBACK]),
        )
    ).all()

    def rank(plan: ResponsePlan) -> tuple[int, int, int] | None:
        if plan.priority not in (None, priority) or plan.area not in (None, area):
            return None
        return (plan.nature_code != FALLBACK, plan.priority is not None, plan.area is not None)

    ranked = [(r, p) for p in rows if (r := rank(p)) is not None]
    return max(ranked, key=lambda pair: pair[0])[1] if ranked else None
