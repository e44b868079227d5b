"""intake: batches, document preflight state and report, pieces cut from documents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH_STATES = ("opened", "closed", "transferred", "completed", "cancelled", "failed")
DOCUMENT_STATES = ("received", "checked", "rejected")


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("profile", sa.String(length=50), nullable=False),
        sa.Column("layout", sa.String(length=50), nullable=False),
        sa.Column("default_country", sa.String(length=2), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*BATCH_STATES, name="batch_state", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_batches_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_index("ix_batches_account", ["account_id"], unique=False)

    with op.batch_alter_table("documents", schema=None) as batch_op:
        # Documents uploaded before preflight existed were checked by the first-look check.
        batch_op.add_column(
            sa.Column(
                "state",
                sa.Enum(*DOCUMENT_STATES, name="document_state", native_enum=False, length=20),
                nullable=False,
                server_default="checked",
            )
        )
        batch_op.add_column(
            sa.Column("profile", sa.String(length=50), nullable=False, server_default="postroom")
        )
        batch_op.add_column(sa.Column("report", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("batch_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("split_rule", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("print_sha256", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_documents_batch_id_batches"),
            "batches",
            ["batch_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index("ix_documents_batch", ["batch_id"], unique=False)
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.alter_column("state", server_default=None)
        batch_op.alter_column("profile", server_default=None)

    with op.batch_alter_table("mail_pieces", schema=None) as batch_op:
        batch_op.alter_column("recipient", existing_type=sa.JSON(), nullable=True)
        batch_op.add_column(sa.Column("batch_id", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column("first_page", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column(
                "address_source", sa.String(length=10), nullable=False, server_default="given"
            )
        )
        batch_op.add_column(sa.Column("eligible", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("findings", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_foreign_key(
            op.f("fk_mail_pieces_batch_id_batches"),
            "batches",
            ["batch_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            "ix_mail_pieces_batch", ["batch_id", "document_id", "first_page"], unique=False
        )
    with op.batch_alter_table("mail_pieces", schema=None) as batch_op:
        batch_op.alter_column("first_page", server_default=None)
        batch_op.alter_column("address_source", server_default=None)
        batch_op.alter_column("findings", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("mail_pieces", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_pieces_batch")
        batch_op.drop_constraint(op.f("fk_mail_pieces_batch_id_batches"), type_="foreignkey")
        for column in ("findings", "eligible", "address_source", "first_page", "batch_id"):
            batch_op.drop_column(column)
        batch_op.alter_column("recipient", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_batch")
        batch_op.drop_constraint(op.f("fk_documents_batch_id_batches"), type_="foreignkey")
        for column in ("print_sha256", "split_rule", "batch_id", "report", "profile", "state"):
            batch_op.drop_column(column)
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index("ix_batches_account")
    op.drop_table("batches")
