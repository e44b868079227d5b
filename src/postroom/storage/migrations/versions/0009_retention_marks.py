"""retention marks: documents and mail pieces record when retention removed their content
(a document's bytes and what was read from them; a finished piece's recipient and channel
details), and the indexes retention's questions need (an account's documents in upload
order, which records hold a blob, which pieces were cut from a document)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


INDEXES = [
    ("ix_documents_account_created", "documents", ["account_id", "created_at", "id"]),
    ("ix_documents_blob", "documents", ["blob_sha256"]),
    ("ix_documents_print", "documents", ["print_sha256"]),
    ("ix_mail_pieces_document", "mail_pieces", ["document_id"]),
    ("ix_proofs_blob", "proofs", ["blob_sha256"]),
]


def upgrade() -> None:
    for table in ("documents", "mail_pieces"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("redacted_at", sa.DateTime(), nullable=True))
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    for table in ("documents", "mail_pieces"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("redacted_at")
