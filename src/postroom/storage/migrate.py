"""Runs the Alembic migrations programmatically (serve, worker and tests all call it).

Alembic is imported only when the schema is behind: a database already at the newest
revision is recognised with one query, so a CLI command does not pay for Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

    from postroom.storage.sealing import Sealer

SCRIPT_LOCATION = "postroom.storage:migrations"
VERSIONS = Path(__file__).parent / "migrations" / "versions"

# Any fixed number: processes starting together take turns migrating a PostgreSQL database.
MIGRATION_LOCK = 7_300_201


def newest_revision() -> str:
    """The newest revision shipped: revisions are numbered like their files (0010_...), a
    rule tests/unit/storage/test_migrations.py checks against Alembic's own head."""
    return max(p.name.partition("_")[0] for p in VERSIONS.glob("[0-9]*_*.py"))


def alembic_config(engine: Engine, sealer: Sealer | None = None) -> Config:
    """An Alembic config bound to this engine, without any alembic.ini; `sealer` is for the
    migrations that seal or open stored secrets (0013: webhook signing secrets)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    if sealer is not None:
        config.attributes["sealer"] = sealer
    return config


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest revision already."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return list(versions) == [newest_revision()]


def upgrade(engine: Engine, revision: str = "head", *, sealer: Sealer | None = None) -> None:
    """Bring the schema to `revision`; on PostgreSQL one process at a time. Without a
    `sealer`, a migration that seals secrets takes POSTROOM_SECRET_KEY from the environment."""
    if revision == "head" and is_current(engine):
        return
    from alembic import command

    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine, sealer), revision)
        _truncate_write_ahead_log(engine)
        return
    with engine.connect() as lock_connection:
        lock_connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            command.upgrade(alembic_config(engine, sealer), revision)
        finally:
            lock_connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK}
            )


def _truncate_write_ahead_log(engine: Engine) -> None:
    """Copy SQLite's write-ahead log into the database file and empty it: what a migration
    removed (0013: secrets stored in clear) must not stay readable in the log's old frames."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        connection.close()
