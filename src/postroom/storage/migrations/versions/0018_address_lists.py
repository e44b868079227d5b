"""address lists: lists and their checked rows for mail merge, a dialect's integer keys
for core objects (Click2Mail's ids), and the quantity limits of a service

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None

AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(
            sa.Column("min_quantity", sa.Integer(), nullable=False, server_default="1")
        )
        batch.add_column(sa.Column("max_quantity", sa.Integer(), nullable=True))
    op.create_table(
        "address_lists",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mapping", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("valid_count", sa.Integer(), nullable=False),
        sa.Column("corrected_count", sa.Integer(), nullable=False),
        sa.Column("invalid_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_address_lists_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_address_lists"),
    )
    op.create_index(
        "ix_address_lists_account_created", "address_lists", ["account_id", "created_at", "id"]
    )
    op.create_table(
        "address_list_entries",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("given", sa.JSON(), nullable=False),
        sa.Column("recipient", sa.JSON(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["address_lists.id"],
            name="fk_address_list_entries_list_id_address_lists",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "row", name="pk_address_list_entries"),
    )
    op.create_index(
        "ix_address_list_entries_status", "address_list_entries", ["list_id", "status", "row"]
    )
    op.create_table(
        "dialect_keys",
        sa.Column("number", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("dialect", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("core_id", sa.String(length=36), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_dialect_keys_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("number", name="pk_dialect_keys"),
        sa.UniqueConstraint("dialect", "kind", "core_id", name="uq_dialect_keys_core_id"),
    )


def downgrade() -> None:
    op.drop_table("dialect_keys")
    op.drop_table("address_list_entries")
    op.drop_table("address_lists")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("max_quantity")
        batch.drop_column("min_quantity")
