"""Pieces built step by step, as Ekopost's envelopes are: opened in a batch with or without
an address, given their document (checked, and its window read, at once), closed one by
one, and produced once their batch is closed with every piece closed."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from postroom.addresses.countries import country_from_name_or_code
from postroom.addresses.validate import check_given_address
from postroom.documents.analysis import AnalysisRequest
from postroom.documents.inspect import inspect_pdf
from postroom.domain import reply_mail
from postroom.domain.address_completion import GivenAddress
from postroom.domain.clock import Clock
from postroom.domain.eligibility import assess
from postroom.domain.errors import (
    Conflict,
    ErrorCode,
    InvalidDocument,
    InvalidInput,
    NotFound,
)
from postroom.domain.findings import Finding, Severity, has_errors
from postroom.domain.model import (
    Batch,
    Document,
    MailPiece,
    PieceOptions,
    Recipient,
)
from postroom.domain.pricing import PriceTable
from postroom.domain.reachability import ReachKind, normalise_recipient
from postroom.domain.registered_mail import (
    check_registered_address,
    registered_address_findings,
)
from postroom.domain.states import PieceState
from postroom.services import allowances, email, handoff, order
from postroom.services.catalog import find_service
from postroom.services.email import EmailRequest
from postroom.services.handoff import HandOffRequest
from postroom.services.intake import Analyser, resolve_layout, resolve_profile, run_analysis
from postroom.services.letters import Limits
from postroom.services.ports import BlobStore, UnitOfWork

MAX_LISTED = 10_000  # most pieces one listing of a batch answers
DIGITAL = "digital"  # the key of a digital address in a piece's `delivery`
EMAIL_SERVICE = "email"  # the default catalog's email service
DOCUMENTS = "documents"  # the key of a dialect's fields about each document of a piece


@dataclass(frozen=True)
class DigitalAddress:
    """Where a piece goes instead of paper when the recipient is reachable there."""

    kind: ReachKind
    recipient: str

    def to_dict(self) -> dict[str, str]:
        """The JSON form kept in the piece's `delivery`."""
        return {"kind": self.kind.value, "recipient": self.recipient}

    @property
    def reference(self) -> str:
        """What the piece is called once delivered there: `einbox:191212121212`."""
        return f"{self.kind.value}:{normalise_recipient(self.recipient)}"


def recipient_of(given: GivenAddress | None) -> tuple[Recipient | None, bool]:
    """What a postal address given with a piece makes of it: (the recipient, False) when
    complete; (None, False) when nothing is given (the document's window gives it); (None,
    True) when only some parts are: the recipient is completed from the document, and the
    piece costs the price table's `address_completion_surcharge` (PieceOptions
    .address_completion). InvalidInput unknown_country for a country that is none."""
    if given is None or given.empty:
        return None, False
    country = country_from_name_or_code(given.country)
    if not given.complete:
        return None, True
    recipient = Recipient(given.names, given.streets, given.postal_code, given.city, country)
    return recipient, False


def opened_batch(uow: UnitOfWork, account_id: str, batch_id: str) -> Batch:
    batch = uow.pieces.batch(account_id, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    if not batch.accepts_documents():
        raise Conflict(
            f"the batch is {batch.state.value}; pieces go into opened batches",
            code=ErrorCode.BATCH_NOT_OPEN,
            detail={"state": batch.state.value},
        )
    return batch


def open_piece(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    batch_id: str,
    recipient: Recipient | None,
    options: PieceOptions,
    client_reference: str | None = None,
    dialect_fields: Mapping[str, Any] | None = None,
    digital: DigitalAddress | None = None,
    by_email: EmailRequest | None = None,
    email_service: str = EMAIL_SERVICE,
    handed_off: HandOffRequest | None = None,
    max_pieces: int | None = None,
) -> MailPiece:
    """An opened piece with no content yet; without a recipient its document's window will
    give one. With a `digital` address it is delivered there at its batch's close when the
    account's reachability registry knows the recipient, and printed otherwise. With
    `by_email` it is sent by `email_service` at its batch's close (InvalidInput
    invalid_email_address for an address that is not one). With `handed_off` it is handed
    to a hand-off channel at its batch's close (services/handoff.delivery_for's refusals).
    Its address placement is in `options` (address_page: printed with an address page of
    its own). Conflict
    duplicate_reference when the account already has `client_reference`; InvalidInput
    registered_* for a registered letter's address that breaks registered mail's limits;
    InvalidInput batch_full when the batch already holds `max_pieces`."""
    # A given address is checked and kept normalised, refused invalid_address otherwise.
    recipient = check_given_address(recipient) if recipient is not None else None
    check_registered_address(recipient, options.postage)
    with uow:
        opened_batch(uow, account_id, batch_id)
        if max_pieces is not None:
            _check_room(uow, batch_id, max_pieces)
        if client_reference and uow.pieces.piece_by_client_reference(account_id, client_reference):
            raise Conflict(
                f"the account already has a piece with the reference {client_reference!r}",
                code=ErrorCode.DUPLICATE_REFERENCE,
            )
        delivery: dict[str, Any] = {}
        service_id = None
        if by_email is not None:
            account = uow.accounts.get(account_id)
            if account is None:
                raise NotFound(f"no account {account_id}")
            service = find_service(uow, account, email_service)
            delivery = email.delivery_for(service, by_email)
            service_id = service.id
        elif handed_off is not None:
            delivery = handoff.delivery_for(uow, account_id, handed_off)
        elif digital is not None:
            delivery = {DIGITAL: digital.to_dict()}
        now = clock.now()
        piece = MailPiece(
            account_id=account_id,
            document_id=None,
            recipient=recipient,
            options=options,
            page_count=0,
            created_at=now,
            updated_at=now,
            state=PieceState.OPENED,
            batch_id=batch_id,
            address_source="given" if recipient is not None else "window",
            client_reference=client_reference or None,
            dialect_fields=dict(dialect_fields or {}),
            delivery=delivery,
            service_id=service_id,
        )
        uow.pieces.add(piece)
        uow.commit()
    return piece


def _check_room(uow: UnitOfWork, batch_id: str, max_pieces: int) -> None:
    """InvalidInput batch_full when the batch holds `max_pieces` already (its row locked
    first, so two concurrent opens on PostgreSQL cannot both take the last place)."""
    uow.pieces.batch_for_update(batch_id)
    held = sum(uow.pieces.piece_state_counts_of_batch(batch_id).values())
    if held >= max_pieces:
        raise InvalidInput(
            f"the batch holds {held} pieces, the most one batch may hold "
            f"(POSTROOM_MAX_PIECES_PER_BATCH {max_pieces})",
            code=ErrorCode.BATCH_FULL,
            detail={"pieces": held, "max_pieces": max_pieces},
        )


def get_piece(*, uow: UnitOfWork, account_id: str, batch_id: str, piece_id: str) -> MailPiece:
    """One of the batch's pieces; NotFound for another batch's or another account's."""
    with uow:
        piece = uow.pieces.get(account_id, piece_id)
        if piece is None or piece.batch_id != batch_id:
            raise NotFound(f"no piece {piece_id} in batch {batch_id}")
        return piece


def list_pieces(
    *,
    uow: UnitOfWork,
    account_id: str,
    batch_id: str,
    states: Collection[PieceState] | None = None,
    dialect: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> list[MailPiece]:
    """The batch's pieces in the order they were opened (at most MAX_LISTED): those in
    `states` when given, and whose `dialect_fields[dialect]` hold each of `fields`."""
    with uow:
        if uow.pieces.batch(account_id, batch_id) is None:
            raise NotFound(f"no batch {batch_id}")
        matching = (
            {(dialect, key): value for key, value in (fields or {}).items()} if dialect else {}
        )
        return list(
            uow.pieces.pieces_of_batch_by_creation(
                batch_id, MAX_LISTED, states=states, dialect_fields=matching
            )
        )


@dataclass(frozen=True)
class Attached:
    """The piece after its content was added, and the document that was."""

    piece: MailPiece
    document: Document


def attach_document(
    *,
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    limits: Limits,
    analyse: Analyser,
    account_id: str,
    batch_id: str,
    piece_id: str,
    upload: BinaryIO,
    filename: str,
    main: bool,
    document_fields: Mapping[str, Mapping[str, Any]] | None = None,
    reply_template: bool = False,
) -> Attached:
    """Check a PDF at once (first look, preflight, and the window for a main document) and
    add it to an opened piece: as its document, or as an annex printed after it. A way in's
    own fields about this document (`document_fields`, by dialect) are kept in the piece's
    `dialect_fields[dialect]["documents"][document id]`, in the same transaction.

    Refusals, with nothing stored: Conflict document_present (a second main document),
    piece_not_open; InvalidDocument (not a PDF, unreadable, refused by preflight);
    InvalidInput no_address when the piece has no recipient and the window gives none;
    InvalidInput daily_large_documents when the account added its day's allowance of large
    documents already (Limits). A `reply_template` is the annex of a reply mail piece (its
    return envelope is then added at production: PieceOptions.reply_envelope); InvalidInput
    reply_template_not_in_reply_mail outside a reply mail batch or as a second one."""
    size = allowances.size_of(upload)
    with uow:
        batch = opened_batch(uow, account_id, batch_id)
        piece = open_piece_for_content(uow, account_id, batch_id, piece_id, main=main)
        if reply_template:
            reply_mail.check_template_wanted(batch, piece, main=main)
        allowances.check_large_allowance(uow, clock, limits, account_id, size)
        recipient = piece.recipient
        by_email = email.is_email_piece(piece)
        # Neither an email nor a handed-off piece has a postal address or a window to read.
        no_post = by_email or handoff.is_handoff_piece(piece)
    if by_email and not main:
        raise InvalidInput(
            "a piece sent by email carries its document only; attachments are not sent yet",
            code=ErrorCode.EMAIL_ATTACHMENT_NOT_OFFERED,
        )
    profile = resolve_profile(batch.profile)
    layout = resolve_layout(batch.layout, profile)
    facts = inspect_pdf(upload, max_pages=limits.max_pages, max_bytes=limits.max_bytes)
    sha, size = blobs.put(upload)
    request = AnalysisRequest(
        path=str(blobs.path(sha)),
        profile_name=profile.name,
        layout_code=layout.code,
        rule=None,
        read_window=main and recipient is None and not no_post,
        default_country=batch.default_country,
        page_count=facts.page_count,
        max_pages=limits.max_pages,
        max_bytes=limits.max_bytes,
    )
    analysed = run_analysis(analyse, blobs, request)
    analysis = analysed.analysis
    if analysis.rejected or not analysis.pieces:
        raise InvalidDocument(_rejection(analysis.report), code=ErrorCode.DOCUMENT_REJECTED)
    scan = analysis.pieces[0]
    found = scan.address.recipient if scan.address else None
    if main and recipient is None and found is None and not no_post:
        lines = " / ".join(scan.window_lines) or "nothing"
        raise InvalidInput(
            f"no postal address could be read in the document's window (it holds {lines})",
            code=ErrorCode.NO_ADDRESS,
        )
    now = clock.now()
    with uow:
        piece = open_piece_for_content(uow, account_id, batch_id, piece_id, main=main)
        if reply_template:
            reply_mail.check_template_wanted(batch, piece, main=main)
        # Again in the writing transaction: another upload may have taken the last place.
        allowances.check_large_allowance(uow, clock, limits, account_id, size, lock=True)
        document = Document(
            account_id=account_id,
            blob_sha256=sha,
            filename=filename[:255] or "document.pdf",
            size_bytes=size,
            page_count=facts.page_count,
            created_at=now,
            profile=profile.name,
        )
        document.record_preflight(analysis.report, rejected=False)
        document.print_sha256 = analysed.print_sha256
        uow.pieces.add(document)
        if main:
            piece.document_id = document.id
            piece.first_page = 1
            piece.own_pages = document.page_count
            address_findings = [*(scan.address.findings if scan.address else ())]
            if piece.recipient is None and not no_post:
                piece.recipient = found
                piece.address_source = "window"
                # A given address met registered mail's limits at open_piece; a read one now.
                address_findings += registered_address_findings(found, piece.options.postage)
            findings: tuple[Finding, ...] = (*scan.findings, *address_findings)
        else:
            piece.annexes = [*piece.annexes, document.id]
            findings = tuple(Finding.from_dict(f) for f in piece.findings)
            if reply_template:
                piece.options = replace(piece.options, reply_envelope=True)
        if document_fields:
            piece.dialect_fields = with_document_fields(
                piece.dialect_fields, document.id, document_fields
            )
        # Its document's pages and its annexes'; its service's configured pages are added
        # when the batch is ordered with a service (order.close_batch).
        piece.count_pages(annex_pages=_annex_pages(uow, piece))
        # An email or handed-off piece is judged by its preflight alone (no address, window
        # or envelope).
        reasons = findings
        if not no_post:
            reasons = assess(
                page_count=piece.page_count,
                plex=piece.options.plex,
                layout=layout,
                countries=profile.countries,
                recipient=piece.recipient,
                findings=findings,
                address_page=piece.own_address_page,
            )
        piece.findings = [f.to_dict() for f in reasons]
        piece.eligible = not has_errors(list(reasons))
        piece.updated_at = now
        uow.commit()
    return Attached(piece, document)


def with_document_fields(
    kept: Mapping[str, Any], document_id: str, fields: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The piece's dialect fields with each dialect's fields about one document added (a new
    dict, so the change is seen and written)."""
    merged = dict(kept)
    for dialect, values in fields.items():
        own = dict(merged.get(dialect) or {})
        documents = dict(own.get(DOCUMENTS) or {})
        documents[document_id] = dict(values)
        merged[dialect] = {**own, DOCUMENTS: documents}
    return merged


def open_piece_for_content(
    uow: UnitOfWork, account_id: str, batch_id: str, piece_id: str, *, main: bool
) -> MailPiece:
    piece = uow.pieces.get(account_id, piece_id)
    if piece is None or piece.batch_id != batch_id:
        raise NotFound(f"no piece {piece_id} in batch {batch_id}")
    if piece.state is not PieceState.OPENED:
        raise Conflict(
            f"the piece is {piece.state.value}; content goes into opened pieces",
            code=ErrorCode.PIECE_NOT_OPEN,
            detail={"state": piece.state.value},
        )
    if main and piece.document_id is not None:
        raise Conflict("the piece already has its document", code=ErrorCode.DOCUMENT_PRESENT)
    return piece


def _annex_pages(uow: UnitOfWork, piece: MailPiece) -> int:
    """The pages of the piece's annexes."""
    total = 0
    for document_id in piece.annexes:
        document = uow.pieces.document_by_id(document_id)
        total += document.page_count if document else 0
    return total


def _rejection(report: dict[str, Any]) -> str:
    errors = [
        str(f.get("message", f.get("code", "")))
        for f in report.get("findings", [])
        if f.get("severity") == Severity.ERROR.value
    ]
    return "preflight refused the document: " + ("; ".join(errors) or "no pages")


def document_of_piece(
    *, uow: UnitOfWork, account_id: str, batch_id: str, piece_id: str, document_id: str
) -> tuple[Document, bool]:
    """One of the piece's documents (its markup too), and whether it is the main one;
    NotFound otherwise."""
    with uow:
        piece = uow.pieces.get(account_id, piece_id)
        if piece is None or piece.batch_id != batch_id:
            raise NotFound(f"no piece {piece_id} in batch {batch_id}")
        known = (piece.document_id, piece.markup_id)
        if document_id not in known and document_id not in piece.annexes:
            raise NotFound(f"no document {document_id} in piece {piece_id}")
        document = uow.pieces.document(account_id, document_id)
        if document is None:
            raise NotFound(f"no document {document_id}")
        return document, document_id == piece.document_id


def close_piece(
    *, uow: UnitOfWork, clock: Clock, account_id: str, batch_id: str, piece_id: str
) -> MailPiece:
    """Mark an opened piece ready: Conflict no_document without its document, markup_missing
    without the markup its batch requires, InvalidInput reply_template_missing in a reply
    mail batch without its template, not_eligible (with the reasons) when it cannot be
    produced."""
    with uow:
        piece = uow.pieces.get(account_id, piece_id)
        if piece is None or piece.batch_id != batch_id:
            raise NotFound(f"no piece {piece_id} in batch {batch_id}")
        if piece.state is PieceState.OPENED and piece.document_id is None:
            raise Conflict("the piece has no document yet", code=ErrorCode.NO_DOCUMENT)
        batch = uow.pieces.batch(account_id, batch_id)
        if batch is not None and piece.state is PieceState.OPENED:
            if batch.markup_required and piece.markup_id is None:
                raise Conflict(
                    "the piece's batch requires an XML markup and the piece has none",
                    code=ErrorCode.MARKUP_MISSING,
                )
            by_email = email.is_email_piece(piece)
            reply_mail.check_template_present(batch, piece, by_email=by_email)
        if piece.state is PieceState.OPENED and not piece.eligible:
            reasons = [str(f.get("message", "")) for f in piece.findings]
            raise InvalidInput(
                "the piece cannot be produced: " + "; ".join(reasons),
                code=ErrorCode.NOT_ELIGIBLE,
                detail={"findings": piece.findings},
            )
        piece.move_to(PieceState.CLOSED, clock.now())
        uow.commit()
    return piece


def close_batch(
    *,
    uow: UnitOfWork,
    clock: Clock,
    prices: PriceTable,
    account_id: str,
    batch_id: str,
    service_ref: str,
) -> order.BatchClosed:
    """Close a batch of step-by-step pieces: InvalidInput batch_empty without any, Conflict
    pieces_not_closed while one is still opened; then the order service's close on the
    batch's planned output date and cost centre, each piece keeping the plex, colour and
    postage it was opened with."""
    with uow:
        batch = uow.pieces.batch(account_id, batch_id)
        if batch is None:
            raise NotFound(f"no batch {batch_id}")
        counts = uow.pieces.piece_state_counts_of_batch(batch_id)
        opened = counts.get(PieceState.OPENED, 0)
        pieces = _all_pieces(uow, batch_id)
        delivered_digitally = _reachable_digital(uow, account_id, pieces)
    if batch.accepts_documents():
        for piece in pieces:
            if piece.state is PieceState.CLOSED:
                by_email = email.is_email_piece(piece)
                reply_mail.check_template_present(batch, piece, by_email=by_email)
    if batch.accepts_documents() and sum(counts.values()) == 0:
        raise InvalidInput("the batch has no piece", code=ErrorCode.BATCH_EMPTY)
    if batch.accepts_documents() and opened:
        raise Conflict(
            f"{opened} of the batch's pieces are not closed", code=ErrorCode.PIECES_NOT_CLOSED
        )
    return order.close_batch(
        uow=uow,
        clock=clock,
        prices=prices,
        account_id=account_id,
        batch_id=batch_id,
        service_ref=service_ref,
        options={},
        piece_options=True,
        sent_elsewhere=delivered_digitally,
    )


def _all_pieces(uow: UnitOfWork, batch_id: str) -> list[MailPiece]:
    pieces: list[MailPiece] = []
    after: tuple[str, int, str] | None = None
    while page := uow.pieces.pieces_of_batch(batch_id, after=after, limit=1000):
        pieces.extend(page)
        after = page[-1].batch_order_key()
    return pieces


def _reachable_digital(
    uow: UnitOfWork, account_id: str, pieces: Sequence[MailPiece]
) -> dict[str, str]:
    """Piece id -> where it is delivered, for pieces whose digital recipient is reachable."""
    wanted: dict[str, DigitalAddress] = {}
    for piece in pieces:
        found = piece.delivery.get(DIGITAL)
        if found and piece.state is PieceState.CLOSED:
            wanted[piece.id] = DigitalAddress(ReachKind(found["kind"]), found["recipient"])
    delivered: dict[str, str] = {}
    for kind in {a.kind for a in wanted.values()}:
        of_kind = {pid: a for pid, a in wanted.items() if a.kind is kind}
        names = sorted({normalise_recipient(a.recipient) for a in of_kind.values()})
        known = uow.reachability.known(account_id, kind, names)
        delivered.update(
            {
                pid: a.reference
                for pid, a in of_kind.items()
                if normalise_recipient(a.recipient) in known
            }
        )
    return delivered
