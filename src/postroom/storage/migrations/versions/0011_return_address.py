"""return address: an account's return address (the sender's return line printed above the
recipient, "" for none), and the return line each mail piece was accepted with

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = (("accounts", "return_address"), ("mail_pieces", "return_line"))


def upgrade() -> None:
    # Rows already there, and rows written by code that does not know the column, get ""
    # (no return line), as operator and clock_offset_seconds keep their server defaults.
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(column, sa.String(length=200), nullable=False, server_default="")
            )


def downgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
