"""sqlite: whole-second times written by bulk inserts in the text every other insert uses

Before this revision, bulk inserts on SQLite (tracking events, shipments, the change feed,
the evidence log, webhook deliveries, the event inbox) let sqlite3 format their times,
which leaves out ".000000" when the microseconds are zero; SQLAlchemy writes it. The same
instant then had two texts, which equality and the unique dedup index of tracking events
do not match. PostgreSQL stores real timestamps and is not touched.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The bulk-inserted tables' time columns at this revision.
COLUMNS = {
    "changes": ("created_at",),
    "audit_log": ("recorded_at", "redacted_at"),
    "webhook_deliveries": ("next_attempt_at", "last_attempt_at", "created_at"),
    "shipments": ("status_at", "created_at", "updated_at"),
    "tracking_events": ("occurred_at", "received_at"),
    "event_inbox": ("occurred_at",),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.execute(
                f"UPDATE {table} SET {column} = {column} || '.000000' "
                f"WHERE {column} IS NOT NULL AND length({column}) = 19"
            )


def downgrade() -> None:
    """Nothing to undo: the longer text reads back as the same time."""
