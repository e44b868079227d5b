"""sms: text messages and their recipients, each with its delivery state (domain/sms.py)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("sender", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("sandbox", sa.Boolean(), nullable=False),
        sa.Column("client_reference", sa.String(length=100), nullable=True),
        sa.Column("dialect_fields", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_sms_messages_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sms_messages"),
    )
    op.create_index(
        "ix_sms_messages_account_created", "sms_messages", ["account_id", "created_at", "id"]
    )
    op.create_table(
        "sms_recipients",
        sa.Column("sms_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["sms_id"],
            ["sms_messages.id"],
            name="fk_sms_recipients_sms_id_sms_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sms_id", "position", name="pk_sms_recipients"),
    )
    op.create_index("ix_sms_recipients_state", "sms_recipients", ["sms_id", "state", "position"])


def downgrade() -> None:
    op.drop_index("ix_sms_recipients_state", table_name="sms_recipients")
    op.drop_table("sms_recipients")
    op.drop_index("ix_sms_messages_account_created", table_name="sms_messages")
    op.drop_table("sms_messages")
