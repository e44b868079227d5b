"""document progress and a piece's own options: the pages of a file checked so far while
its check runs, for the dashboard's progress bar and /v1's document answer; a letter of a
batch whose plex, colour and postage were chosen for it alone; each SMTP attempt of an
email letter with the server's answer (issue 17)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(
            sa.Column("pages_checked", sa.Integer(), nullable=False, server_default="0")
        )
    documents = sa.table(
        "documents",
        sa.column("pages_checked", sa.Integer()),
        sa.column("page_count", sa.Integer()),
        sa.column("state", sa.String()),
    )
    # A file checked before this migration was checked to its last page.
    op.execute(
        documents.update()
        .where(documents.c.state == "checked")
        .values(pages_checked=documents.c.page_count)
    )
    with op.batch_alter_table("mail_pieces") as batch:
        batch.add_column(
            sa.Column("own_options", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "email_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "piece_id",
            sa.String(length=36),
            sa.ForeignKey("mail_pieces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("answer", sa.String(length=1000), nullable=False),
        sa.Column("server", sa.String(length=300), nullable=False),
    )
    op.create_index("ix_email_attempts_piece", "email_attempts", ["piece_id", "attempted_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_email_attempts_piece", table_name="email_attempts")
    op.drop_table("email_attempts")
    with op.batch_alter_table("mail_pieces") as batch:
        batch.drop_column("own_options")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("pages_checked")
