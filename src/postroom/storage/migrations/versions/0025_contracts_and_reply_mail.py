"""contracts, reply mail and markup: accounts.features (what the account's contract
includes, domain/contract.py), batches.reply_mail (a campaign whose pieces get a return
envelope), batches.markup_required and mail_pieces.markup_id (an envelope's XML markup)

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("features", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("batches") as batch:
        batch.add_column(
            sa.Column("reply_mail", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("markup_required", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("mail_pieces") as batch:
        batch.add_column(sa.Column("markup_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mail_pieces") as batch:
        batch.drop_column("markup_id")
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("markup_required")
        batch.drop_column("reply_mail")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("features")
