"""HTTP routes for incidents, their natures, locations, caller, notes and timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic_core import to_json
from sqlalchemy.orm import Session

from signalfire.api.permissions import requires, requires_in_batch
from signalfire.api.session import DbSession, get_group_commit
from signalfire.core import clock
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Perm
from signalfire.incidents import (
    candidates,
    catalogue,
    duplicates,
    intake,
    intervals,
    links,
    performance,
    service,
)
from signalfire.incidents.models import (
    Incident,
    IncidentLink,
    IncidentLocation,
    IncidentNote,
    TimelineEvent,
)
from signalfire.incidents.natures import DEFAULT_CATALOGUE, Nature
from signalfire.incidents.responders import Responders
from signalfire.incidents.schemas import (
    CallerRead,
    DuplicateCandidate,
    DuplicateQuery,
    IncidentCreate,
    IncidentRead,
    IncidentUpdate,
    IntakeResult,
    IntervalFigure,
    IntervalsRead,
    LinkCreate,
    LinkRead,
    LocationRead,
    LocationUpdate,
    NatureCreate,
    NatureRead,
    NoteCreate,
    NoteRead,
    ResponseTimes,
    TimelineRead,
)

router = APIRouter(prefix="/api", tags=["incidents"])
Reader = Annotated[Actor, requires(Perm.INCIDENT_READ)]
Writer = Annotated[Actor, requires(Perm.INCIDENT_UPDATE)]


def _candidates(found: list[duplicates.Candidate]) -> list[DuplicateCandidate]:
    return [
        DuplicateCandidate(
            incident_id=c.incident_id,
            number=c.number,
            score=c.match.score,
            distance_m=c.match.distance_m,
            minutes_apart=c.match.minutes_apart,
            reasons=c.match.reasons,
        )
        for c in found
    ]


@router.get("/natures", response_model=list[NatureRead])
def list_natures(db: DbSession, actor: Reader) -> list[NatureRead]:
    """The nature catalogue: the default (APCO ANS 2.103 families) plus the agency's own."""
    known = catalogue.natures_for(db=db, agency_id=actor.agency_id)
    defaults = {n.code: n for n in DEFAULT_CATALOGUE}
    return [
        NatureRead(
            code=n.code,
            name=n.name,
            discipline=n.discipline,
            priority=n.priority,
            custom=defaults.get(n.code) != n,
        )
        for n in sorted(known.values(), key=lambda n: n.code)
    ]


@router.post("/natures", response_model=NatureRead, status_code=201)
def add_nature(
    data: NatureCreate, db: DbSession, actor: Annotated[Actor, requires(Perm.NATURE_MANAGE)]
) -> NatureRead:
    """Add a nature for the caller's agency, or override a default one."""
    nature: Nature = catalogue.add_nature(db=db, actor=actor, data=data)
    return NatureRead(
        code=nature.code,
        name=nature.name,
        discipline=nature.discipline,
        priority=nature.priority,
        custom=True,
    )


@router.post("/incidents", response_model=IntakeResult, status_code=201)
async def create_incident(
    data: IncidentCreate,
    request: Request,
    actor: Annotated[Actor, requires_in_batch(Perm.INCIDENT_CREATE)],
) -> Response:
    """Open an incident; the answer lists open incidents it may duplicate, with reasons.

    Calls that arrive together are opened together and committed once (group commit);
    an invalid one fails alone.
    """
    body = await get_group_commit(request).run(_open_incidents, intake.Intake(actor, data))
    return Response(body, status_code=201, media_type="application/json")


def _open_incidents(db: Session, intakes: list[intake.Intake]) -> list[bytes | Exception]:
    """The answers to a group of intakes (``IntakeResult`` as JSON), or the errors to
    raise."""
    return [
        outcome
        if isinstance(outcome, Exception)
        else to_json({"incident": outcome.state, "duplicates": _candidates(outcome.candidates)})
        for outcome in intake.create_many(db=db, intakes=intakes)
    ]


@router.post("/incidents/duplicate-check", response_model=list[DuplicateCandidate])
def check_duplicates(
    data: DuplicateQuery, db: DbSession, actor: Annotated[Actor, requires(Perm.INCIDENT_CREATE)]
) -> list[DuplicateCandidate]:
    """Before saving a call: the open incidents it may duplicate, with reasons."""
    return _candidates(candidates.duplicates_of_call(db=db, actor=actor, data=data))


@router.get("/incidents", response_model=list[IncidentRead])
def list_incidents(db: DbSession, actor: Reader, open_only: bool = True) -> list[Incident]:
    """Incidents the caller's agency handles or shares, most urgent and oldest first."""
    return service.list_incidents(db=db, actor=actor, open_only=open_only)


@router.get("/incidents/{incident_id}", response_model=IncidentRead)
def get_incident(incident_id: int, db: DbSession, actor: Reader) -> Incident:
    return service.get(db=db, actor=actor, incident_id=incident_id)


@router.patch("/incidents/{incident_id}", response_model=IncidentRead)
def update_incident(
    incident_id: int, data: IncidentUpdate, db: DbSession, actor: Writer
) -> Incident:
    """Change nature, modifiers, priority or summary; ``status: pending`` queues a new one."""
    return service.update(db=db, actor=actor, incident_id=incident_id, data=data)


@router.get("/incidents/{incident_id}/duplicates", response_model=list[DuplicateCandidate])
def incident_duplicates(incident_id: int, db: DbSession, actor: Reader) -> list[DuplicateCandidate]:
    """Open incidents that may be the same as this one, best first."""
    return _candidates(candidates.possible_duplicates(db=db, actor=actor, incident_id=incident_id))


@router.post("/incidents/{incident_id}/locations", response_model=LocationRead, status_code=201)
def add_location(
    incident_id: int, data: LocationUpdate, db: DbSession, actor: Writer
) -> IncidentLocation:
    """Report a location; a caller's device location stays primary unless told otherwise."""
    return service.set_location(db=db, actor=actor, incident_id=incident_id, data=data)


@router.get("/incidents/{incident_id}/locations", response_model=list[LocationRead])
def list_locations(incident_id: int, db: DbSession, actor: Reader) -> list[IncidentLocation]:
    return service.locations(db=db, actor=actor, incident_id=incident_id)


@router.get("/incidents/{incident_id}/caller", response_model=CallerRead | None)
def get_caller(
    incident_id: int, db: DbSession, actor: Annotated[Actor, requires(Perm.CALLER_READ)]
) -> CallerRead | None:
    """Caller name and number (protected; every read is audited)."""
    row = service.caller(db=db, actor=actor, incident_id=incident_id)
    return CallerRead.model_validate(row) if row else None


@router.post("/incidents/{incident_id}/notes", response_model=NoteRead, status_code=201)
def add_note(incident_id: int, data: NoteCreate, db: DbSession, actor: Writer) -> IncidentNote:
    return service.add_note(db=db, actor=actor, incident_id=incident_id, text=data.text)


@router.get("/incidents/{incident_id}/notes", response_model=list[NoteRead])
def list_notes(incident_id: int, db: DbSession, actor: Reader) -> list[IncidentNote]:
    return service.notes(db=db, actor=actor, incident_id=incident_id)


@router.post("/incidents/{incident_id}/links", response_model=LinkRead, status_code=201)
def link_incident(
    incident_id: int, data: LinkCreate, db: DbSession, actor: Writer, request: Request
) -> IncidentLink:
    """Link another incident; ``duplicate`` merges it in (both timelines are kept)."""
    responders: Responders = request.app.state.responders
    return links.link(db=db, actor=actor, incident_id=incident_id, data=data, responders=responders)


@router.get("/incidents/{incident_id}/timeline", response_model=list[TimelineRead])
def get_timeline(
    incident_id: int, db: DbSession, actor: Reader, include_linked: bool = False
) -> list[TimelineEvent]:
    """Every timestamped step, oldest first (with merged incidents' when asked)."""
    return service.timeline(
        db=db, actor=actor, incident_id=incident_id, include_linked=include_linked
    )


@router.get("/response-times", response_model=ResponseTimes)
def response_times(
    db: DbSession,
    actor: Reader,
    hours: Annotated[float, Query(gt=0, le=24 * 31, description="Look back this far.")] = 12,
) -> ResponseTimes:
    """Response-time figures of the agency's recent incidents against their targets."""
    since = clock.now() - timedelta(hours=hours)
    measured = performance.recent(db=db, actor=actor, since=since)
    return ResponseTimes(
        since=since,
        incidents=len(measured),
        figures=[IntervalFigure.model_validate(f) for f in performance.figures(measured)],
    )


@router.get("/incidents/{incident_id}/intervals", response_model=IntervalsRead)
def get_intervals(incident_id: int, db: DbSession, actor: Reader) -> IntervalsRead:
    """Answer, call-processing, turnout, travel and total response times in seconds."""
    steps = [
        intervals.Step(intervals.Kind(e.kind), e.at, e.unit_id)
        for e in service.timeline(db=db, actor=actor, incident_id=incident_id)
    ]
    result = intervals.compute(steps)
    return IntervalsRead(
        answer=result.answer,
        call_processing=result.call_processing,
        first_unit_turnout=result.first_unit_turnout,
        first_unit_travel=result.first_unit_travel,
        total_response=result.total_response,
        units=[
            {
                "unit_id": u.unit_id,
                "turnout": u.turnout,
                "travel": u.travel,
                "cancelled_before_arrival": u.cancelled_before_arrival,
            }
            for u in result.units
        ],
    )
