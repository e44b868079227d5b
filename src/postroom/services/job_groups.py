"""A job's pack groups after intake (services/box_jobs.py): reading them, correcting a
group's address, ordering some or all of them with option overrides, and what tracking
knows of them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from postroom.domain.catalog import Service
from postroom.domain.clock import Clock
from postroom.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from postroom.domain.findings import Finding
from postroom.domain.geometry import EnvelopeLayout
from postroom.domain.model import AddressPlacement, Batch, Document, MailPiece, PieceOptions
from postroom.domain.placement import WINDOW_HAS_NO_TEXT
from postroom.domain.pricing import PriceTable
from postroom.domain.schedule import output_date_for_moment
from postroom.domain.states import BatchState, DocumentState, PieceState
from postroom.domain.tracking import Proof, Shipment
from postroom.services import box_jobs, order
from postroom.services.catalog import find_service
from postroom.services.intake import resolve_layout, resolve_profile
from postroom.services.ports import UnitOfWork

# Findings that come from reading or giving the address: replaced when it is corrected.
ADDRESS_FINDING_PREFIXES = box_jobs.ADDRESS_FINDING_PREFIXES


def job_pieces(
    *, uow: UnitOfWork, account_id: str, batch_id: str
) -> tuple[Batch, list[MailPiece], list[Document]]:
    """A job's batch, its pieces in file order and its documents; NotFound for another's."""
    with uow:
        batch = uow.pieces.batch(account_id, batch_id)
        if batch is None:
            raise NotFound(f"no job {batch_id}")
        pieces: list[MailPiece] = []
        after: tuple[str, int] | None = None
        while page := uow.pieces.pieces_of_batch(batch_id, after=after, limit=1000):
            pieces.extend(page)
            after = page[-1].file_order_key()
        return batch, pieces, list(uow.pieces.documents_of_batch(batch_id))


def _corrected_placement(
    piece: MailPiece, service: Service, layout: EnvelopeLayout
) -> AddressPlacement:
    """Where a corrected address prints: the service's address page; else the window when
    it was seen blank (nothing read there, or Postroom already printed into it); else an
    address page of its own, as Postroom never prints over a document's content."""
    if service.address_page or not layout.window:
        return AddressPlacement.ADDRESS_PAGE
    codes = {str(f.get("code", "")) for f in piece.findings}
    blank = piece.options.address_placement is AddressPlacement.WINDOW or (
        piece.address_source == "window" and WINDOW_HAS_NO_TEXT in codes
    )
    return AddressPlacement.WINDOW if blank else AddressPlacement.ADDRESS_PAGE


def choose_piece_options(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    batch_id: str,
    piece_id: str,
    options: PieceOptions | None,
) -> MailPiece:
    """Give one opened piece of an opened batch its own plex, colour and postage: closing
    the batch keeps them and gives the batch's options to the others (order.close_batch,
    and quote_batch prices it so). None gives it the batch's options again. NotFound for a
    piece not in the batch, Conflict batch_not_open / piece_not_open once ordered."""
    with uow:
        batch = uow.pieces.batch(account_id, batch_id)
        piece = uow.pieces.get(account_id, piece_id)
        if batch is None or piece is None or piece.batch_id != batch.id:
            raise NotFound(f"no piece {piece_id} in batch {batch_id}")
        if batch.state is not BatchState.OPENED:
            raise Conflict(
                f"the batch is {batch.state.value}; its letters' options are settled",
                code=ErrorCode.BATCH_NOT_OPEN,
                detail={"state": batch.state.value},
            )
        piece.choose_options(options, clock.now())
        uow.commit()
        return piece


def correct_address(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    piece_id: str,
    address_lines: Sequence[str],
    service_ref: str = "",
) -> MailPiece:
    """Give an opened piece of a job the address written in `address_lines` (it is then
    printed where its service prints given addresses) and judge it again: the address's
    old reasons go, its new ones (if the lines are no address) come. A piece of a batch
    that is given its service when closed (the native API's) is judged for `service_ref`.
    Conflict piece_not_open once it is ordered."""
    with uow:
        piece = uow.pieces.get(account_id, piece_id)
        if piece is None or piece.batch_id is None or not (piece.service_id or service_ref):
            raise NotFound(f"no piece {piece_id}")
        if piece.state is not PieceState.OPENED:
            raise Conflict(
                f"the piece is {piece.state.value}; only a piece not yet ordered can be edited",
                code=ErrorCode.PIECE_NOT_OPEN,
                detail={"state": piece.state.value},
            )
        if piece.service_id is not None:
            service = uow.catalog.service(piece.service_id)
        else:
            account = uow.accounts.get(account_id)
            assert account is not None
            service = find_service(uow, account, service_ref)
        assert service is not None
        recipient, address_findings = box_jobs.given_recipient(address_lines, service)
        kept = [
            Finding.from_dict(f)
            for f in piece.findings
            if not str(f.get("code", "")).startswith(ADDRESS_FINDING_PREFIXES)
        ]
        annexes = [d for d in (uow.pieces.document_by_id(a) for a in piece.annexes) if d]
        layout = resolve_layout(service.layout, resolve_profile(service.profile))
        placement = _corrected_placement(piece, service, layout)
        if recipient is not None:
            address_findings = (
                *address_findings,
                *box_jobs.given_findings(placement, None, recipient, service, layout),
            )
        piece.recipient = recipient
        piece.address_source = "given"
        piece.options = replace(piece.options, address_placement=placement)
        box_jobs.assess_piece(piece, service, layout, (*kept, *address_findings), annexes)
        piece.updated_at = clock.now()
        uow.commit()
        return piece


def deliver(
    *,
    uow: UnitOfWork,
    clock: Clock,
    prices: PriceTable,
    account_id: str,
    batch_id: str,
    piece_ids: Collection[str] | None,
    options: Mapping[str, Any],
    post_at: datetime | None = None,
    dialect: str = "",
    fields: Mapping[str, Any] | None = None,
) -> order.BatchClosed:
    """Order some (or, with None, all eligible opened) pieces of a job through its service
    with `options` over the service's defaults, to be posted on `post_at`'s day (which
    must be before its cut-off; None: as soon as possible). Each ordered piece keeps
    `fields` in its `dialect_fields[dialect]`. NotFound for a piece not of the job;
    InvalidInput not_eligible for a named piece that is not eligible."""
    with uow:
        batch = uow.pieces.batch(account_id, batch_id)
        if batch is None or batch.service_id is None:
            raise NotFound(f"no job {batch_id}")
        service = uow.catalog.service(batch.service_id)
        assert service is not None
    _, pieces, documents = job_pieces(uow=uow, account_id=account_id, batch_id=batch_id)
    if any(d.state is DocumentState.REJECTED for d in documents):
        raise InvalidInput(
            "the job's files could not be processed; it has nothing to deliver",
            code=ErrorCode.DOCUMENT_REJECTED,
        )
    by_id = {p.id: p for p in pieces}
    if piece_ids is not None:
        unknown = sorted(set(piece_ids) - set(by_id))
        if unknown:
            raise NotFound(f"no pack group {', '.join(unknown)} in job {batch_id}")
        refused = [i for i in piece_ids if not by_id[i].eligible]
        if refused:
            raise InvalidInput(
                f"pack group {', '.join(refused)} is not eligible; correct it first",
                code=ErrorCode.NOT_ELIGIBLE,
                detail={"pieces": refused},
            )
    wanted = [
        p.id
        for p in pieces
        if p.state is PieceState.OPENED and (piece_ids is None or p.id in piece_ids)
    ]
    requested: date | None = None
    if post_at is not None:
        requested = output_date_for_moment(post_at, clock.now(), service.cut_off, service.timezone)
    return order.close_batch(
        uow=uow, clock=clock, prices=prices, account_id=account_id, batch_id=batch_id,
        service_ref=service.id, options=options, requested_output_date=requested,
        piece_ids=set(wanted), note=(dialect, dict(fields or {})) if dialect else None,
    )  # fmt: skip


def address_text(piece: MailPiece, service: Service) -> list[str]:
    """The piece's recipient as the lines it prints in (no country line at home)."""
    if piece.recipient is None:
        return []
    # Imported here: reportlab measures lines there, and most callers never need it.
    from postroom.documents.address_page import address_lines

    home = resolve_profile(service.profile).default_country
    return address_lines(piece.recipient.to_dict(), home_country=home)


def job_service(*, uow: UnitOfWork, account_id: str, batch_id: str) -> Service:
    """The service a job of the account was made for; NotFound for another's job."""
    with uow:
        batch = uow.pieces.batch(account_id, batch_id)
        service = uow.catalog.service(batch.service_id) if batch and batch.service_id else None
        if batch is None or service is None:
            raise NotFound(f"no job {batch_id}")
        return service


def piece_of_job(*, uow: UnitOfWork, account_id: str, piece_id: str) -> tuple[MailPiece, Service]:
    """One of the account's job pieces and its service; NotFound otherwise."""
    with uow:
        piece = uow.pieces.get(account_id, piece_id)
        service = uow.catalog.service(piece.service_id) if piece and piece.service_id else None
        if piece is None or piece.batch_id is None or service is None:
            raise NotFound(f"no piece {piece_id}")
        return piece, service


@dataclass(frozen=True)
class PieceTracking:
    """What tracking knows of a job's piece: its shipment once posted, and its proofs."""

    shipment: Shipment | None
    proofs: list[Proof]


def tracking_of_pieces(
    *, uow: UnitOfWork, account_id: str, piece_ids: Sequence[str]
) -> dict[str, PieceTracking]:
    """Each of the account's pieces' shipment and proofs (none for another's piece)."""
    found: dict[str, PieceTracking] = {}
    with uow:
        for piece_id in piece_ids:
            shipment = uow.shipments.by_piece(piece_id)
            if shipment is None or shipment.account_id != account_id:
                found[piece_id] = PieceTracking(None, [])
                continue
            found[piece_id] = PieceTracking(shipment, list(uow.shipments.proofs_of(shipment.id)))
    return found
