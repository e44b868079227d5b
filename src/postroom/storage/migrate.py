"""Runs the Alembic migrations programmatically (serve, worker and tests all call it)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

SCRIPT_LOCATION = "postroom.storage:migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to this engine, without any alembic.ini."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`."""
    command.upgrade(alembic_config(engine), revision)
