"""On PostgreSQL a commit that waits too long for a lock, or deadlocks, while writing the change
feed (COPY through the driver's own cursor) fails with RetryableError, as any other statement
of the commit would: the worker then tries the stage again instead of failing its lot."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from postroom.bootstrap import Container, build_container
from postroom.config import Settings
from postroom.domain.errors import RetryableError
from postroom.domain.model import Document, MailPiece, PieceOptions
from postroom.domain.states import DocumentState, PieceState
from postroom.services import accounts
from postroom.storage.uow import SqlUnitOfWork
from tests.support.pdfs import make_pdf

pytestmark = pytest.mark.distributed


@pytest.fixture
def container(tmp_path: Path, postgres_url: str) -> Iterator[Container]:
    built = build_container(Settings(data_dir=tmp_path / "data", database_url=postgres_url))
    yield built
    built.close()


def _closed_letter(container: Container, account_id: str) -> str:
    now = datetime.now(UTC)
    sha, size = container.blobs.put(io.BytesIO(make_pdf(1)))
    with container.uow() as uow:
        document = Document(
            account_id=account_id,
            blob_sha256=sha,
            filename="letter.pdf",
            size_bytes=size,
            page_count=1,
            created_at=now,
            state=DocumentState.RECEIVED,
        )
        piece = MailPiece(
            account_id=account_id,
            document_id=document.id,
            recipient=None,
            options=PieceOptions(),
            page_count=1,
            created_at=now,
            updated_at=now,
            state=PieceState.CLOSED,
        )
        uow.pieces.add(document)
        uow.pieces.add(piece)
        uow.commit()
    return piece.id


def test_a_lock_the_feeds_copy_waits_for_too_long_is_retryable(
    container: Container, postgres_url: str
) -> None:
    account = accounts.create_account(uow=container.uow(), clock=container.clock, name="Kommun")
    piece_id = _closed_letter(container, account.id)

    # Another transaction holds the account row, as check_piece does while it charges: the
    # change row's foreign key check (in the COPY) has to wait for it.
    with psycopg.connect(postgres_url) as holder:
        holder.execute("SELECT id FROM accounts WHERE id = %s FOR UPDATE", (account.id,))
        uow = container.uow()
        assert isinstance(uow, SqlUnitOfWork)
        with uow:
            uow.session.execute(text("SET LOCAL lock_timeout = '200ms'"))
            piece = uow.pieces.get_by_id(piece_id)
            assert piece is not None
            piece.move_to(PieceState.CANCELLED, datetime.now(UTC))
            with pytest.raises(RetryableError, match="lock"):
                uow.commit()
        holder.rollback()

    with container.uow() as uow:
        piece = uow.pieces.get_by_id(piece_id)
        assert piece is not None and piece.state is PieceState.CLOSED
