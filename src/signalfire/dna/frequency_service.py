"""Allele frequency tables stored by name, per agency, for the match statistics."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signalfire.core import clock
from signalfire.core.audit.chain import content_hash
from signalfire.core.auth.actor import Actor
from signalfire.core.errors import Conflict, Invalid, NotFound
from signalfire.core.events import emit
from signalfire.dna.events import DnaFrequenciesImported
from signalfire.dna.models import DnaFrequencyTable
from signalfire.dna.schemas import FrequencyImport, FrequencyTableRead
from signalfire.strstats.frequencies import FrequencyTable, read_frequency_csv


def _agency(actor: Actor) -> int:
    if actor.agency_id is None:
        raise Invalid("frequency tables belong to an agency; act as one of its users")
    return actor.agency_id


def read(row: DnaFrequencyTable) -> FrequencyTableRead:
    """The API view of a stored table (its loci and sample sizes, not every allele)."""
    return FrequencyTableRead(
        id=row.id,
        name=row.name,
        population=row.population,
        loci=list(row.frequencies),
        sample_sizes=row.sample_sizes,
        created_at=row.created_at,
    )


def _row(db: Session, agency_id: int, name: str) -> DnaFrequencyTable | None:
    query = select(DnaFrequencyTable).where(
        DnaFrequencyTable.agency_id == agency_id, DnaFrequencyTable.name == name
    )
    return db.scalars(query).first()


def parse_table(*, actor: Actor, data: FrequencyImport) -> FrequencyTable:
    """Read and check an allele-by-locus CSV, touching no database: callers run it
    before their transaction opens. :class:`Invalid` (422) names the row and column."""
    _agency(actor)
    try:
        table = read_frequency_csv(data.csv, n=data.n)
    except (ValueError, KeyError) as error:
        raise Invalid(f"frequency CSV: {error}", field="csv") from None
    if not len(table):
        raise Invalid("frequency CSV: no locus columns", field="csv")
    return table


def import_table(
    *, db: Session, actor: Actor, data: FrequencyImport, table: FrequencyTable
) -> FrequencyTableRead:
    """Store ``table`` (:func:`parse_table` of ``data``) under a name new to the agency."""
    agency_id = _agency(actor)
    if _row(db, agency_id, data.name) is not None:
        raise Conflict(f"a frequency table named {data.name!r} exists; choose another name")
    content = {"frequencies": table.as_dict(), "sample_sizes": dict(table.n)}
    row = DnaFrequencyTable(
        agency_id=agency_id,
        name=data.name,
        population=data.population,
        **content,
        created_at=clock.now(),
        created_by=actor.user_id,
    )
    db.add(row)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(f"a frequency table named {data.name!r} was stored meanwhile") from None
    emit(
        db,
        DnaFrequenciesImported(
            actor=actor.ref(),
            agency_id=agency_id,
            record_type="dna_frequency_table",
            record_id=str(row.id),
            name=row.name,
            population=row.population,
            loci=len(table),
            table_sha256=content_hash(content),
        ),
    )
    return read(row)


def list_tables(*, db: Session, actor: Actor) -> list[FrequencyTableRead]:
    """The agency's tables, by name."""
    query = (
        select(DnaFrequencyTable)
        .where(DnaFrequencyTable.agency_id == _agency(actor))
        .order_by(DnaFrequencyTable.name)
    )
    return [read(row) for row in db.scalars(query)]


def frequency_table(db: Session, *, agency_id: int, name: str) -> FrequencyTable:
    """The stored table ``name`` of the agency, or 404."""
    row = _row(db, agency_id, name)
    if row is None:
        raise NotFound(f"no frequency table named {name!r}; import it: POST /api/dna/frequencies")
    return FrequencyTable(row.frequencies, row.sample_sizes or None)
