"""user shops: a user limited to some shops of its account (no rows: every shop)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_shops",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_shops_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_user_shops_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "shop_id", name=op.f("pk_user_shops")),
    )
    op.create_index("ix_user_shops_shop", "user_shops", ["shop_id"])


def downgrade() -> None:
    op.drop_index("ix_user_shops_shop", table_name="user_shops")
    op.drop_table("user_shops")
