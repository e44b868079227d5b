"""An envelope's XML markup (Ekopost's `markup` content): checked well formed, kept with the
piece and returned as it came; Postroom renders no markup, so it is never printed."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from postroom.documents.markup import check_markup
from postroom.domain.clock import Clock
from postroom.domain.errors import Conflict, DocumentTooLarge, ErrorCode
from postroom.domain.model import Document, MailPiece
from postroom.services import allowances
from postroom.services.envelopes import (
    Attached,
    open_piece_for_content,
    opened_batch,
    with_document_fields,
)
from postroom.services.letters import Limits
from postroom.services.ports import BlobStore, UnitOfWork


def attach_markup(
    *,
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    limits: Limits,
    account_id: str,
    batch_id: str,
    piece_id: str,
    data: bytes,
    document_fields: Mapping[str, Mapping[str, Any]] | None = None,
) -> Attached:
    """Keep an XML markup with an opened piece (checked well formed; kept as it is and never
    printed: Postroom renders no markup). Refusals, with nothing stored: Conflict
    markup_present (a second one), piece_not_open; InvalidDocument invalid_markup;
    DocumentTooLarge over the upload limit; InvalidInput daily_large_documents."""
    if len(data) > limits.max_bytes:
        raise DocumentTooLarge(
            f"the markup is {len(data)} bytes; at most {limits.max_bytes}",
            code=ErrorCode.DOCUMENT_TOO_LARGE,
        )
    check_markup(data)
    with uow:
        opened_batch(uow, account_id, batch_id)
        _markup_free(open_piece_for_content(uow, account_id, batch_id, piece_id, main=False))
        allowances.check_large_allowance(uow, clock, limits, account_id, len(data))
    sha, size = blobs.put(io.BytesIO(data))
    now = clock.now()
    with uow:
        piece = _markup_free(
            open_piece_for_content(uow, account_id, batch_id, piece_id, main=False)
        )
        allowances.check_large_allowance(uow, clock, limits, account_id, size, lock=True)
        document = Document(
            account_id=account_id,
            blob_sha256=sha,
            filename="markup.xml",
            size_bytes=size,
            page_count=0,
            created_at=now,
        )
        uow.pieces.add(document)
        piece.markup_id = document.id
        if document_fields:
            piece.dialect_fields = with_document_fields(
                piece.dialect_fields, document.id, document_fields
            )
        piece.updated_at = now
        uow.commit()
    return Attached(piece, document)


def _markup_free(piece: MailPiece) -> MailPiece:
    if piece.markup_id is not None:
        raise Conflict("the piece already has its markup", code=ErrorCode.MARKUP_PRESENT)
    return piece
