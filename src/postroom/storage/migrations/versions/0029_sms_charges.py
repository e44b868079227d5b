"""sms charges: a text message is charged when it is accepted, as a piece is, in the same
charges table (a charge is a piece's or a message's), and the message keeps its price

Revision ID: 0029
Revises: 0027
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_messages") as batch:
        batch.add_column(
            sa.Column("price_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("charges") as batch:
        batch.alter_column("piece_id", existing_type=sa.String(length=36), nullable=True)
        batch.add_column(sa.Column("sms_id", sa.String(length=36), nullable=True))
        batch.create_foreign_key(
            "fk_charges_sms_id_sms_messages",
            "sms_messages",
            ["sms_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint("uq_charges_sms_id", ["sms_id"])
        batch.create_check_constraint(
            "ck_charges_one_subject", sa.text("(piece_id IS NULL) <> (sms_id IS NULL)")
        )


def downgrade() -> None:
    # A message's charges have no piece: they go with the column that names their message.
    op.execute(sa.text("DELETE FROM charges WHERE piece_id IS NULL"))
    with op.batch_alter_table("charges") as batch:
        batch.drop_constraint("ck_charges_one_subject", type_="check")
        batch.drop_constraint("uq_charges_sms_id", type_="unique")
        batch.drop_constraint("fk_charges_sms_id_sms_messages", type_="foreignkey")
        batch.drop_column("sms_id")
        batch.alter_column("piece_id", existing_type=sa.String(length=36), nullable=False)
    with op.batch_alter_table("sms_messages") as batch:
        batch.drop_column("price_minor")
