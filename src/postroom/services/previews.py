"""A letter's pages as they will print: the letter composed alone, as its lot composes it."""

from __future__ import annotations

from collections.abc import Callable

from postroom.documents.preview import PiecePreviewRequest
from postroom.domain.errors import Conflict, ContentRemoved, ErrorCode, NotFound
from postroom.domain.model import MailPiece, Plex
from postroom.domain.states import DocumentState, PieceState
from postroom.services import email
from postroom.services.composition import lot_entry
from postroom.services.ports import BlobStore, UnitOfWork


def preview_letter_page(
    *,
    uow: UnitOfWork,
    blobs: BlobStore,
    render: Callable[[PiecePreviewRequest], bytes],
    account_id: str,
    piece_id: str,
    page: int,
) -> bytes:
    """A PNG of page `page` (1-based) of one of the account's letters as it will print: its
    address page or its address in the window, its pages, annexes and blank backs.
    Conflict preview_not_available while its check has still to settle where its address
    goes, or for a letter that is not printed; ContentRemoved once retention removed it."""
    with uow:
        piece = _previewable(uow, account_id, piece_id)
        plan = lot_entry(uow, blobs, piece).plan()
    if page < 1:
        raise NotFound(f"page {page} does not exist: pages are numbered from 1")
    return render(PiecePreviewRequest(plan, page))


def preview_problem(*, uow: UnitOfWork, account_id: str, piece_id: str) -> str | None:
    """Why one of the account's letters has no preview now, in words (None: it has one);
    NotFound for a letter of another account. The same checks as preview_letter_page,
    without composing anything."""
    with uow:
        try:
            _previewable(uow, account_id, piece_id)
        except (Conflict, ContentRemoved) as exc:
            return exc.message
    return None


def _previewable(uow: UnitOfWork, account_id: str, piece_id: str) -> MailPiece:
    """The letter, if its pages can be shown as they will print; else why not (raised)."""
    piece = uow.pieces.get(account_id, piece_id)
    if piece is None:
        raise NotFound(f"no letter {piece_id}")
    if email.is_email_piece(piece) or piece.document_id is None:
        raise Conflict(
            "the letter has no printed pages: it is sent by email or has no document yet",
            code=ErrorCode.PREVIEW_NOT_AVAILABLE,
        )
    document = uow.pieces.document_by_id(piece.document_id)
    assert document is not None
    if document.redacted_at is not None or piece.redacted_at is not None:
        raise ContentRemoved(f"the pages of letter {piece_id} were removed by the retention rules")
    if document.state is DocumentState.REJECTED:
        raise Conflict(
            "the letter's document was rejected by preflight; it has no preview",
            code=ErrorCode.DOCUMENT_REJECTED,
        )
    if piece.state is PieceState.CLOSED and piece.options.address_placement is None:
        raise Conflict(
            "the letter is not checked yet: its check settles where its address is "
            "printed; ask again once it is accepted",
            code=ErrorCode.PREVIEW_NOT_AVAILABLE,
            detail={"state": piece.state.value},
        )
    return piece


def printed_pages(piece: MailPiece) -> int:
    """How many pages the letter prints once priced: every side of its sheets in duplex,
    one side a sheet in simplex (its document's page count until it is priced)."""
    if piece.sheets <= 0:
        return max(1, piece.page_count)
    return piece.sheets * (2 if piece.options.plex is Plex.DUPLEX else 1)
