"""sealed webhook secrets: every webhook signing secret stored in clear is sealed with the
key derived from POSTROOM_SECRET_KEY (storage/sealing.py, ADR 0017); no schema change

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sqlalchemy as sa
from alembic import op

from postroom.storage.sealing import Sealer, is_sealed

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

endpoints = sa.table(
    "webhook_endpoints",
    sa.column("id", sa.String()),
    sa.column("secrets", sa.JSON()),
)


def _context(endpoint_id: str) -> str:
    # The stored format's binding, as storage/webhooks.secret_context writes it; kept here
    # so this migration means the same whatever the repository becomes.
    return f"webhook_endpoints.secrets:{endpoint_id}"


@cache
def _sealer() -> Sealer:
    """The sealer the process handed over (bootstrap), else the one the settings give; asked
    for only when a row has a secret to change (an empty table needs no key)."""
    config = op.get_context().config
    handed: Sealer | None = config.attributes.get("sealer") if config is not None else None
    if handed is not None:
        return handed
    from postroom.config import Settings

    settings = Settings()
    return Sealer(settings.secret_key, settings.previous_secret_keys)


def _rewrite(change: Callable[[str, str], str]) -> None:
    """Apply `change(value, context)` to every stored secret, and leave no old value readable
    in the database's files (secure_delete on SQLite, VACUUM FULL on PostgreSQL)."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        # The cells a rewrite frees are zeroed, not left readable in the page's free space.
        bind.exec_driver_sql("PRAGMA secure_delete = ON")
    changed = False
    rows = bind.execute(sa.select(endpoints.c.id, endpoints.c.secrets)).all()
    for row in rows:
        secrets = [{**s, "secret": change(s["secret"], _context(row.id))} for s in row.secrets]
        if secrets != row.secrets:
            bind.execute(
                sa.update(endpoints).where(endpoints.c.id == row.id).values(secrets=secrets)
            )
            changed = True
    if sqlite:
        bind.exec_driver_sql("PRAGMA secure_delete = OFF")
    elif changed:
        # PostgreSQL keeps the old row versions in the table's files until they are
        # rewritten; VACUUM cannot run inside the migration's transaction.
        with op.get_context().autocommit_block():
            bind.exec_driver_sql("VACUUM FULL webhook_endpoints")
    # On SQLite, storage/migrate.upgrade checkpoints and truncates the WAL once the migrations
    # are committed: the pages written before this rewrite leave the write-ahead log.


def _sealed(value: str, context: str) -> str:
    return value if is_sealed(value) else _sealer().seal(value, context=context)


def _opened(value: str, context: str) -> str:
    return _sealer().unseal(value, context=context) if is_sealed(value) else value


def upgrade() -> None:
    _sealer.cache_clear()
    _rewrite(_sealed)


def downgrade() -> None:
    _sealer.cache_clear()
    _rewrite(_opened)
