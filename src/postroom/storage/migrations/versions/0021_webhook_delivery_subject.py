"""webhook deliveries know their subject (the piece or shipment the change was about), so a
letter's page finds its deliveries through an index instead of reading every payload

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None

INDEX = "ix_webhook_deliveries_subject"


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("subject_id", sa.String(length=64), nullable=True))
    deliveries = sa.table(
        "webhook_deliveries", sa.column("subject_id", sa.String()), sa.column("payload", sa.JSON())
    )
    # The payload's data.id is the subject's id (storage/feeds.py writes it so).
    op.execute(
        deliveries.update().values(subject_id=deliveries.c.payload["data"]["id"].as_string())
    )
    op.create_index(INDEX, "webhook_deliveries", ["account_id", "subject_id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="webhook_deliveries")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("subject_id")
