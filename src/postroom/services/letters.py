"""Use cases for single letters: submit, look up, list, cancel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from postroom.addresses.validate import check_given_address
from postroom.documents.inspect import PdfFacts, inspect_pdf
from postroom.documents.profiles import get_profile
from postroom.domain.catalog import Service, configured_pages
from postroom.domain.clock import Clock
from postroom.domain.errors import Conflict, DomainError, ErrorCode, InvalidInput, NotFound
from postroom.domain.geometry import layout_for
from postroom.domain.model import AddressPlacement, Document, MailPiece, PieceOptions, Recipient
from postroom.domain.placement import placement_problem
from postroom.domain.pricing import DEFAULT_PRICE_TABLE, PriceTable
from postroom.domain.registered_mail import check_registered_address
from postroom.domain.states import CANCELLABLE_PIECE_STATES, PieceState
from postroom.services import order
from postroom.services.catalog import find_service
from postroom.services.email import EmailRequest, delivery_for, is_email_piece
from postroom.services.ports import BlobStore, UnitOfWork
from postroom.services.stages import CHECK_PIECE

# The service of a letter sent without one: produced at once, so one request shows a lot.
DEFAULT_SERVICE = "letter_immediate"


@dataclass(frozen=True)
class Limits:
    """The intake limits an operator sets."""

    max_bytes: int
    max_pages: int
    # Most pieces one step-by-step batch (an Ekopost campaign) may hold.
    max_pieces_per_batch: int = 100_000
    # A document over `large_document_bytes` is "large"; an account may add at most
    # `large_documents_per_day` of them a (UTC) day (Ekopost: "More than 50 documents over
    # 8Mb sent current day").
    large_document_bytes: int = 8 * 1024 * 1024
    large_documents_per_day: int = 50


def submit_letter(
    *,
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    limits: Limits,
    account_id: str,
    upload: BinaryIO,
    filename: str,
    recipient: Recipient | None,
    options: PieceOptions,
    service: str | None = None,
    email: EmailRequest | None = None,
    prices: PriceTable = DEFAULT_PRICE_TABLE,
) -> MailPiece:
    """Take a first look at the PDF, store it, and create a closed piece whose preflight (and
    window reading, when no recipient is given) runs in the pipeline; `service` (id or code,
    default DEFAULT_SERVICE) decides its profile, price and schedule when it is accepted;
    an email service needs `email` instead of a postal address. A registered letter's
    address must keep registered mail's limits (InvalidInput registered_*). A letter its
    account cannot pay for is refused here, nothing stored (order.quote_letter). An address
    placement that cannot work whatever the document holds is refused (InvalidInput
    missing_recipient, option_not_available); the others are settled by the check."""
    priced = quote_new_letter(
        uow=uow, clock=clock, limits=limits, account_id=account_id, upload=upload,
        recipient=recipient, options=options, service=service, email=email, prices=prices,
    )  # fmt: skip
    piece = priced.piece
    sha, size = blobs.put(upload)
    with uow:
        document = Document(
            account_id=account_id,
            blob_sha256=sha,
            filename=filename[:255] or "letter.pdf",
            size_bytes=size,
            page_count=priced.page_count,
            created_at=piece.created_at,
            profile=priced.service.profile,
        )
        piece.document_id = document.id
        uow.pieces.insert_new(document, piece)
        uow.outbox.add(CHECK_PIECE, {"piece_id": piece.id}, piece.created_at)
        # The caller's 201 promises the letter survives a power cut: its blob is synced
        # (BlobStore.put); its rows are before the API answers (DurableAnswers, ADR 0027).
        uow.commit()
    return piece


@dataclass(frozen=True)
class LetterQuote:
    """What a letter would cost if sent now, and what is known of it before its check."""

    piece: MailPiece  # not stored: its price, sheets, weight and expected dates
    service: Service
    page_count: int  # the file's own pages
    credit_minor: int  # the account's credit now
    charged: bool  # False for a letter sent by email (not charged)


def quote_new_letter(
    *,
    uow: UnitOfWork,
    clock: Clock,
    limits: Limits,
    account_id: str,
    upload: BinaryIO,
    recipient: Recipient | None,
    options: PieceOptions,
    service: str | None = None,
    email: EmailRequest | None = None,
    prices: PriceTable = DEFAULT_PRICE_TABLE,
) -> LetterQuote:
    """The price submit_letter would charge for this letter now, with the same checks and
    refusals (the account's credit among them), storing nothing."""
    # A given address is checked and kept normalised, refused invalid_address otherwise.
    recipient = check_given_address(recipient) if recipient is not None else None
    check_registered_address(recipient, options.postage)
    # The PDF is looked at before the transaction, so that the lookups and the quote share
    # one (PDFium stays outside SQLite's write lock); what it refuses is raised after the
    # account's, service's and placement's own errors, in the order they always came.
    facts: PdfFacts | None = None
    refused: DomainError | None = None
    try:
        facts = inspect_pdf(upload, max_pages=limits.max_pages, max_bytes=limits.max_bytes)
    except DomainError as exc:
        refused = exc
    with uow.reading():  # what it decides is written by submit_letter's next transaction
        account = uow.accounts.get(account_id)
        if account is None:
            raise NotFound(f"no account {account_id}")
        chosen = find_service(uow, account, service or DEFAULT_SERVICE)
        delivery = delivery_for(chosen, email)
        if options.address_placement is not None and "email" not in delivery:
            _check_placement(options.address_placement, recipient, chosen)
        if refused is not None:
            raise refused
        assert facts is not None
        now = clock.now()
        piece = MailPiece(
            account_id=account_id,
            document_id=None,
            recipient=recipient,
            # Read from the window unless given (a postal recipient, or an email address).
            address_source="given" if recipient is not None or "email" in delivery else "window",
            options=options,
            # Its pages and those its service's configured files add (MailPiece).
            page_count=facts.page_count + configured_pages(chosen.boxes),
            own_pages=facts.page_count,
            created_at=now,
            updated_at=now,
            service_id=chosen.id,
            delivery=delivery,
        )
        charged = not is_email_piece(piece)  # a letter sent by email is not charged
        if charged:
            order.quote_letter(uow=uow, prices=prices, service=chosen, piece=piece, now=now)
    return LetterQuote(piece, chosen, facts.page_count, account.credit_minor, charged)


def _check_placement(
    placement: AddressPlacement, recipient: Recipient | None, service: Service
) -> None:
    """InvalidInput when the letter's placement cannot work with its recipient and service."""
    layout = layout_for(service.layout or get_profile(service.profile).default_layout)
    problem = placement_problem(
        placement,
        recipient_given=recipient is not None,
        address_page_only=service.address_page or not layout.window,
    )
    if problem is not None:
        code, message = problem
        raise InvalidInput(message, code=code, detail={"address_placement": placement.value})


def get_letter(*, uow: UnitOfWork, account_id: str, piece_id: str) -> MailPiece:
    """One of the account's pieces, or NotFound."""
    with uow.reading():
        piece = uow.pieces.get(account_id, piece_id)
        if piece is None:
            raise NotFound(f"no letter {piece_id}")
        return piece


def list_letters(
    *,
    uow: UnitOfWork,
    account_id: str,
    state: PieceState | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    after: tuple[datetime, str] | None = None,
    limit: int = 50,
) -> Sequence[MailPiece]:
    """A page of the account's pieces, newest first."""
    with uow.reading():
        return uow.pieces.page(
            account_id,
            state=state,
            created_from=created_from,
            created_to=created_to,
            after=after,
            limit=limit,
        )


def cancel_letter(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    piece_id: str,
    batch_id: str | None = None,
) -> MailPiece:
    """Cancel a piece that has not reached production, in one transaction; Conflict
    not_cancellable otherwise. With `batch_id`, a piece of another batch is NotFound."""
    with uow:
        piece = uow.pieces.get(account_id, piece_id)
        if piece is None or (batch_id is not None and piece.batch_id != batch_id):
            raise NotFound(f"no letter {piece_id}")
        if piece.state not in CANCELLABLE_PIECE_STATES:
            raise Conflict(
                f"the letter is {piece.state.value} and can no longer be cancelled",
                code=ErrorCode.NOT_CANCELLABLE,
                detail={"state": piece.state.value},
            )
        piece.move_to(PieceState.CANCELLED, clock.now())
        uow.commit()
    return piece
