"""Alembic environment: migrate the engine handed over by ``signalfire.core.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import signalfire.accounts.models
import signalfire.alerts.models
import signalfire.cameras.models
import signalfire.core.audit.models
import signalfire.core.outbox
import signalfire.dispatch.models
import signalfire.dna.models
import signalfire.incidents.models
import signalfire.redaction.models
import signalfire.roads.models
import signalfire.units.models  # noqa: F401  (registers the tables)
from signalfire.core.db import Base

engine: Engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
