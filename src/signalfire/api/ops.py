"""Operations endpoints: liveness and readiness (open), Prometheus metrics (signed in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from signalfire.api.permissions import Public, requires
from signalfire.api.session import get_runtime
from signalfire.core.auth.permissions import Perm
from signalfire.core.errors import DomainError
from signalfire.core.migrate import current_revision, head_revision
from signalfire.core.runtime import Runtime

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    schema_revision: str | None


class NotReady(DomainError):
    status = 503
    title = "Not ready"
    type_slug = "not-ready"


@router.get("/healthz", response_model=Health, dependencies=[Public])
def healthz() -> Health:
    """The process is up (says nothing about the database)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, dependencies=[Public])
def readyz(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Readiness:
    """The database answers and its schema is at the revision this code expects."""
    try:
        revision = current_revision(runtime.engine)
    except Exception as exc:
        raise NotReady(f"database unreachable: {type(exc).__name__}") from exc
    expected = head_revision()
    if revision != expected:
        raise NotReady(
            f"schema at {revision!r}, code expects {expected!r}: run `signalfire db upgrade`"
        )
    return Readiness(status="ready", database=runtime.engine.dialect.name, schema_revision=revision)


@router.get("/metrics", response_class=Response, dependencies=[requires(Perm.METRICS_READ)])
def metrics() -> Response:
    """Prometheus text exposition of request counts and latencies. Requires
    ``metrics.read``: scrape with the API token of a ``monitor`` account."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
