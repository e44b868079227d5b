"""edi: an account's EDI senders (one per organisation number) and the invitations it sent
to receivers, with Ekopost's statuses 1001-1010 (domain/edi.py)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_SENDER_TEXT = {
    "address1": 200, "address2": 200, "zip_code": 20, "city": 100, "country_code": 2,
    "contact_name": 200, "phone": 50, "email": 254, "gln": 13, "vat": 20, "bank_giro": 20,
    "plus_giro": 20, "iban": 34, "bic": 11,
}  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "edi_senders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("cin", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        *(
            sa.Column(name, sa.String(length=size), nullable=False)
            for name, size in _SENDER_TEXT.items()
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_edi_senders_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edi_senders")),
        sa.UniqueConstraint("account_id", "cin", name="uq_edi_senders_account_cin"),
    )
    op.create_table(
        "edi_invitations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("receiver_cin", sa.String(length=10), nullable=False),
        sa.Column("receiver_gln", sa.String(length=13), nullable=False),
        sa.Column("date_sent", sa.DateTime(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_edi_invitations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edi_invitations")),
    )
    op.create_index(
        "ix_edi_invitations_account_sent", "edi_invitations", ["account_id", "date_sent"]
    )


def downgrade() -> None:
    op.drop_index("ix_edi_invitations_account_sent", table_name="edi_invitations")
    op.drop_table("edi_invitations")
    op.drop_table("edi_senders")
