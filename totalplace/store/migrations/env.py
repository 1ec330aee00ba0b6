"""Alembic environment: the engine comes from totalplace.store.migrate, never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from totalplace.store.schema import metadata

engine: Engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
