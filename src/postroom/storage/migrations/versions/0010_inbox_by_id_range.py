"""event inbox found by id range: a batch records the ids of its first and last inbox
rows, and the inbox's index on batch_id goes (its upkeep cost a third of each
respond-async call), as does its foreign key (checked for every event, it cost as much as
storing the events on PostgreSQL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_event_inbox_batch_id_event_batches"


def upgrade() -> None:
    with op.batch_alter_table("event_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_event_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("last_event_id", sa.BigInteger(), nullable=True))
    # Batches still waiting in the inbox: their range from the rows (the index still helps).
    op.execute(
        "UPDATE event_batches SET "
        "first_event_id = (SELECT min(id) FROM event_inbox WHERE batch_id = event_batches.id), "
        "last_event_id = (SELECT max(id) FROM event_inbox WHERE batch_id = event_batches.id)"
    )
    with op.batch_alter_table("event_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_event_inbox_batch")
        batch_op.drop_constraint(FOREIGN_KEY, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("event_inbox", schema=None) as batch_op:
        batch_op.create_foreign_key(
            FOREIGN_KEY, "event_batches", ["batch_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_event_inbox_batch", ["batch_id"], unique=False)
    with op.batch_alter_table("event_batches", schema=None) as batch_op:
        batch_op.drop_column("last_event_id")
        batch_op.drop_column("first_event_id")
