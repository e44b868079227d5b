"""pieces built step by step: a piece may exist before its document, keeps the sender's own
reference (unique per account) and a dialect's extra fields; batches record when their
state last changed (they now move on to transferred and completed with their pieces)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state_changed_at", sa.DateTime(), nullable=True))
    # A batch made before this revision last changed state at some unknown time: its
    # creation is the one moment we know.
    op.execute("UPDATE batches SET state_changed_at = created_at")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.alter_column("state_changed_at", existing_type=sa.DateTime(), nullable=False)

    with op.batch_alter_table("mail_pieces", schema=None) as batch_op:
        batch_op.alter_column("document_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column("client_reference", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("dialect_fields", sa.JSON(), nullable=True))
    op.execute("UPDATE mail_pieces SET dialect_fields = '{}'")
    with op.batch_alter_table("mail_pieces", schema=None) as batch_op:
        batch_op.alter_column("dialect_fields", existing_type=sa.JSON(), nullable=False)
        batch_op.create_index(
            "ux_mail_pieces_client_reference", ["account_id", "client_reference"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_pieces", schema=None) as batch_op:
        batch_op.drop_index("ux_mail_pieces_client_reference")
        batch_op.drop_column("dialect_fields")
        batch_op.drop_column("client_reference")
    # Pieces without a document cannot be kept under the old rule.
    op.execute("DELETE FROM mail_pieces WHERE document_id IS NULL")
    with op.batch_alter_table("mail_pieces", schema=None) as batch_op:
        batch_op.alter_column("document_id", existing_type=sa.String(length=36), nullable=False)
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_column("state_changed_at")
