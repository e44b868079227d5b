"""a piece's own pages: mail_pieces.own_pages, its own document's pages, so that
page_count means one thing everywhere (every page printed from content: own pages,
annexes, configured pages; domain/model.MailPiece)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# What composition cut from a piece's document until now: its page_count, never past its
# document's end (an Ekopost envelope's page_count held its annexes' pages too).
_DOCUMENT_PAGES_LEFT = (
    "(SELECT documents.page_count FROM documents WHERE documents.id = mail_pieces.document_id)"
    " - mail_pieces.first_page + 1"
)


def upgrade() -> None:
    with op.batch_alter_table("mail_pieces") as batch:
        batch.add_column(sa.Column("own_pages", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE mail_pieces SET own_pages = page_count")
    op.execute(
        f"UPDATE mail_pieces SET own_pages = {_DOCUMENT_PAGES_LEFT} "
        f"WHERE document_id IS NOT NULL AND page_count > {_DOCUMENT_PAGES_LEFT}"
    )


def downgrade() -> None:
    with op.batch_alter_table("mail_pieces") as batch:
        batch.drop_column("own_pages")
