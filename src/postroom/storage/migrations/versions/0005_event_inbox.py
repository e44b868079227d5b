"""event inbox: tracking events accepted at once and folded by a worker stage

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("carrier", sa.String(length=50), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("folded_at", sa.DateTime(), nullable=True),
        sa.Column("stored", sa.Integer(), nullable=True),
        sa.Column("duplicates", sa.Integer(), nullable=True),
        sa.Column("shipments_created", sa.Integer(), nullable=True),
        sa.Column("status_changes", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_event_batches_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_batches")),
    )
    with op.batch_alter_table("event_batches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_batches_account_received", ["account_id", "received_at"], unique=False
        )
    op.create_table(
        "event_inbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("utc_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("additional_code", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("location", sa.String(length=255), nullable=True),
        sa.Column("location_id", sa.String(length=50), nullable=True),
        sa.Column("channel", sa.String(length=50), nullable=True),
        sa.Column("message", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["event_batches.id"],
            name=op.f("fk_event_inbox_batch_id_event_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_inbox")),
    )
    with op.batch_alter_table("event_inbox", schema=None) as batch_op:
        batch_op.create_index("ix_event_inbox_batch", ["batch_id"], unique=False)


def downgrade() -> None:
    op.drop_table("event_inbox")
    op.drop_table("event_batches")
