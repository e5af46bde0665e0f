"""The nature catalogue as an agency sees it: the default one plus its own natures."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Invalid
from signalfire.core.events import emit
from signalfire.incidents import events
from signalfire.incidents.models import AgencyNature
from signalfire.incidents.natures import DEFAULT_CATALOGUE, Discipline, Nature, compute_priority
from signalfire.incidents.schemas import NatureCreate

_DEFAULTS = {n.code: n for n in DEFAULT_CATALOGUE}
_OWN_NATURES = select(
    AgencyNature.code, AgencyNature.name, AgencyNature.discipline, AgencyNature.priority
).where(AgencyNature.agency_id == bindparam("agency"))


def natures_for(*, db: Session, agency_id: int | None) -> dict[str, Nature]:
    """The default catalogue with the agency's own natures added or overriding."""
    catalogue = dict(_DEFAULTS)
    if agency_id is not None:
        db.flush()  # a Core statement: let it see natures added in this transaction
        for code, name, discipline, priority in db.connection().execute(
            _OWN_NATURES, {"agency": agency_id}
        ):
            catalogue[code] = Nature(code, name, Discipline(discipline), priority)
    return catalogue


def add_nature(*, db: Session, actor: Actor, data: NatureCreate) -> Nature:
    """Add (or override) a nature for the caller's agency."""
    if actor.agency_id is None:
        raise Invalid("natures belong to an agency; act through an agency account")
    agency_id = actor.agency_id
    row = db.scalar(
        select(AgencyNature).where(
            AgencyNature.agency_id == agency_id, AgencyNature.code == data.code
        )
    )
    if row is None:
        row = AgencyNature(agency_id=agency_id, code=data.code)
        db.add(row)
    row.name, row.discipline, row.priority = data.name, data.discipline.value, data.priority
    db.flush()
    emit(
        db,
        events.NatureAdded(
            actor=actor.ref(),
            agency_id=agency_id,
            record_type="nature",
            record_id=data.code,
            code=data.code,
        ),
    )
    return Nature(row.code, row.name, data.discipline, row.priority)


def nature_in(catalogue: dict[str, Nature], code: str) -> Nature:
    nature = catalogue.get(code)
    if nature is None:
        raise Invalid(f"unknown nature code {code!r}; see GET /api/natures", field="nature_code")
    return nature


def priority_of(nature: Nature, modifiers: list[str]) -> int:
    try:
        return compute_priority(nature.priority, modifiers)
    except ValueError as exc:
        raise Invalid(str(exc), field="modifiers") from exc
