"""contracts, reply mail and markup: accounts.features (what the account's contract
includes, domain/contract.py), batches.reply_mail (a campaign whose pieces get a return
envelope), batches.markup_required and mail_pieces.markup_id (an envelope's XML markup)

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, never a batch copy: on SQLite a copy drops the old table, and its
    # ON DELETE CASCADE children (every account's rows) with it.
    op.add_column("accounts", sa.Column("features", sa.JSON(), nullable=False, server_default="[]"))
    for column in ("reply_mail", "markup_required"):
        op.add_column(
            "batches", sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.add_column("mail_pieces", sa.Column("markup_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    # DROP COLUMN (SQLite 3.35 or later), for the same reason.
    op.drop_column("mail_pieces", "markup_id")
    op.drop_column("batches", "markup_required")
    op.drop_column("batches", "reply_mail")
    op.drop_column("accounts", "features")
