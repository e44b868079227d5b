"""batch order index: a document's pieces in a batch by first page and id (a mail merge's
100,000 share one document and page) read a page at a time from an index, not sorted
again for every page

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_mail_pieces_batch_order",
        "mail_pieces",
        ["batch_id", "document_id", "first_page", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_mail_pieces_batch_order", table_name="mail_pieces")
