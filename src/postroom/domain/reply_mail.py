"""Reply mail (Ekopost's `replymail` campaigns): each letter carries a reply template (an
annex the recipient folds and sends back) and gets a return envelope at production."""

from __future__ import annotations

from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.model import Batch, MailPiece


def needs_template(batch: Batch, piece: MailPiece, *, by_email: bool) -> bool:
    """True when the piece is in a reply mail batch and has no reply template yet (a piece
    sent by email has no envelope to put a return envelope in, so it needs none)."""
    return batch.reply_mail and not by_email and not piece.options.reply_envelope


def check_template_present(batch: Batch, piece: MailPiece, *, by_email: bool) -> None:
    """InvalidInput reply_template_missing when the piece still needs its template."""
    if needs_template(batch, piece, by_email=by_email):
        raise InvalidInput(
            f"piece {piece.id} is in a reply mail batch and has no reply template: add it "
            "as an attachment marked replymail",
            code=ErrorCode.REPLY_TEMPLATE_MISSING,
        )


def check_template_wanted(batch: Batch, piece: MailPiece, *, main: bool) -> None:
    """InvalidInput when a reply template is added where none belongs: as a main document,
    in a batch that is not reply mail, or a second one to the same piece."""
    if main:
        raise InvalidInput(
            "a reply template is an attachment, not the main document",
            code=ErrorCode.REPLY_TEMPLATE_NOT_IN_REPLY_MAIL,
        )
    if not batch.reply_mail:
        raise InvalidInput(
            "a reply template goes into a reply mail batch (created with replymail true)",
            code=ErrorCode.REPLY_TEMPLATE_NOT_IN_REPLY_MAIL,
        )
    if piece.options.reply_envelope:
        raise InvalidInput(
            "the piece already has its reply template",
            code=ErrorCode.REPLY_TEMPLATE_NOT_IN_REPLY_MAIL,
        )
