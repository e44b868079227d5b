"""Alembic environment: uses the engine handed over by postroom.storage.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from postroom.storage.tables import metadata

config = context.config
engine: Engine = config.attributes.get("engine") or create_engine(
    config.get_main_option("sqlalchemy.url") or ""
)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
