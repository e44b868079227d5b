"""shared ranges: a large file's page ranges, each taken by whichever worker process asks
first, so that several workers share one file's analysis (services/shared_ranges.py)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_analyses",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name="fk_shared_analyses_document_id_documents",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", name="pk_shared_analyses"),
    )
    op.create_table(
        "shared_ranges",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("call", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("taken_by", sa.String(length=100), nullable=True),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("result_sha256", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.String(length=50), nullable=True),
        sa.Column("error_message", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["shared_analyses.document_id"],
            name="fk_shared_ranges_document_id_shared_analyses",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "seq", name="pk_shared_ranges"),
    )
    op.create_index("ix_shared_ranges_state", "shared_ranges", ["document_id", "state", "seq"])


def downgrade() -> None:
    op.drop_index("ix_shared_ranges_state", table_name="shared_ranges")
    op.drop_table("shared_ranges")
    op.drop_table("shared_analyses")
