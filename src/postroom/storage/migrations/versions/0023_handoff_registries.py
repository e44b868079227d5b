"""e-bank senders and Peppol participants: the registries behind Ekopost's ebank list (FUI
numbers and their receivers) and Peppol lookup

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ebank_senders",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("fui", sa.String(length=100), nullable=False),
        sa.Column("receivers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_ebank_senders_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "fui", name=op.f("pk_ebank_senders")),
    )
    op.create_table(
        "peppol_participants",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("scheme", sa.String(length=4), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("document_types", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_peppol_participants_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "scheme", "value", name=op.f("pk_peppol_participants")
        ),
    )


def downgrade() -> None:
    op.drop_table("peppol_participants")
    op.drop_table("ebank_senders")
