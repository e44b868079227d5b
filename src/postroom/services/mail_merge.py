"""Mail merge: one document x one address list makes a batch of one piece per usable row,
every piece printing the same stored document (its pages are never copied), its recipient
placed as the merge says; invalid rows are left out and counted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, NoReturn

from postroom.addresses.validate import check_given_address
from postroom.documents.address_page import address_lines, fit_problem
from postroom.documents.analysis import AnalysisRequest
from postroom.domain.catalog import Service, configured_pages
from postroom.domain.clock import Clock
from postroom.domain.eligibility import assess
from postroom.domain.errors import ErrorCode, InvalidDocument, InvalidInput, NotFound
from postroom.domain.findings import Severity, has_errors
from postroom.domain.mail_merge import check_quantity, merge_placement
from postroom.domain.model import (
    AddressPlacement,
    Batch,
    Document,
    PieceOptions,
    Recipient,
    new_id,
)
from postroom.domain.placement import WINDOW_CODES, address_does_not_fit, window_not_blank
from postroom.domain.schedule import output_date
from postroom.domain.states import DocumentState, PieceState
from postroom.domain.tracking import NotedChange
from postroom.services.catalog import find_service, layout_for_envelope
from postroom.services.intake import Analyser, resolve_layout, resolve_profile, run_analysis
from postroom.services.pipeline import return_line_of
from postroom.services.ports import BlobStore, UnitOfWork

CHUNK = 1000  # pieces written together
# A merged piece's annexes and delivery: none, one object shared by every row it writes
# (rows are only inserted, never changed).
_NONE: list[str] = []
_NOTHING: dict[str, Any] = {}
COUNTRY_NOT_SERVED = "country_not_served"  # domain/eligibility.py's finding


@dataclass(frozen=True)
class MergedBatch:
    """The batch a merge opened, and what became of the list's rows."""

    batch: Batch
    service: Service
    placement: AddressPlacement
    pieces: int  # one per valid or corrected row
    eligible: int  # of those, the ones that can be produced
    left_out: int  # invalid rows: no piece


def _sources(
    uow: UnitOfWork, account_id: str, document_id: str, list_id: str, service_ref: str
) -> tuple[Document, int, int, Service, str]:
    """The document, the list's usable and invalid counts, the service, the return line."""
    account = uow.accounts.get(account_id)
    if account is None:
        raise NotFound(f"no account {account_id}")
    document = uow.pieces.document(account_id, document_id)
    if document is None:
        raise NotFound(f"no document {document_id}", detail={"object": "document"})
    address_list = uow.address_lists.get(account_id, list_id)
    if address_list is None:
        raise NotFound(f"no address list {list_id}", detail={"object": "address_list"})
    service = find_service(uow, account, service_ref)
    return (
        document,
        address_list.usable_count,
        address_list.invalid_count,
        service,
        account.return_address,
    )


def merge_batch(
    *,
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    analyse: Analyser,
    account_id: str,
    document_id: str,
    list_id: str,
    service_ref: str,
    options: PieceOptions,
    name: str = "",
    dialect_fields: Mapping[str, Any] | None = None,
    requested_output_date: date | None = None,
    return_address: Recipient | None = None,
) -> MergedBatch:
    """Open a batch of one closed piece per usable row of the list, each printing the whole
    document, checked once (preflight and window, in the sandbox) for the service's profile
    and the envelope of `options` (the service's when it names none). The service's
    quantity limits are checked against the usable rows before anything is stored; the
    batch is closed (priced, charged) by order.close_batch.

    Refusals, nothing stored: NotFound (document, list, service), InvalidDocument
    document_rejected, InvalidInput address_list_empty, quantity_too_low / _high,
    option_not_available (as_printed, or an envelope whose window is elsewhere),
    InvalidDocument window_zone_not_blank (window chosen,
    the document's window holds something), no_eligible_piece (no piece can be produced:
    country_not_served when because of their countries), output_date_* for a
    `requested_output_date` the service cannot keep (kept as the batch's planned date);
    InvalidInput return_address_invalid for a `return_address` (the sender's, printed
    instead of the account's) its country refuses.

    Memory does not grow with the list (ADR 0025): the rows are read, and the pieces
    written with their feed entries, CHUNK at a time, in one transaction that holds the
    account's feed head, so a refusal or a failure midway leaves nothing of the batch."""
    own_return = return_line_for(return_address) if return_address is not None else None
    with uow:
        document, usable, invalid, service, account_return = _sources(
            uow, account_id, document_id, list_id, service_ref
        )
    return_address_line = account_return if own_return is None else own_return
    if requested_output_date is not None:
        output_date(clock.now(), service.cut_off, service.timezone, requested_output_date)
    if document.state is DocumentState.REJECTED:
        raise InvalidDocument(
            "the document was refused by preflight", code=ErrorCode.DOCUMENT_REJECTED
        )
    if usable == 0:
        raise InvalidInput(
            f"the address list has no valid address ({invalid} invalid)",
            code=ErrorCode.ADDRESS_LIST_EMPTY,
            detail={"invalid": invalid},
        )
    check_quantity(
        usable, minimum=service.min_quantity, maximum=service.max_quantity, service=service.code
    )
    profile = resolve_profile(service.profile)
    # The envelope asked for (a flat's for a #10 service: the same windows, more sheets).
    layout = layout_for_envelope(resolve_layout(service.layout, profile), options.envelope)
    page_only = service.address_page or not layout.window
    looks = not page_only and options.address_placement is not AddressPlacement.ADDRESS_PAGE
    request = AnalysisRequest(
        path=str(blobs.path(document.blob_sha256)),
        profile_name=profile.name,
        layout_code=layout.code,
        read_window=looks,
        inspect_window=looks,
        inspect_return_line=looks and bool(return_address_line),
        page_count=document.page_count,
    )
    # The analysis may take seconds: it runs with no transaction open.
    analysis = run_analysis(analyse, blobs, request).analysis
    if analysis.rejected or not analysis.pieces:
        raise InvalidDocument(_rejection(analysis.report), code=ErrorCode.DOCUMENT_REJECTED)
    scan = analysis.pieces[0]
    placement = merge_placement(
        options.address_placement, address_page_only=page_only, window_blank=scan.window_blank
    )
    if placement is AddressPlacement.WINDOW and not scan.window_blank:
        raise InvalidDocument(
            window_not_blank(scan.window_lines).message, code=ErrorCode.WINDOW_ZONE_NOT_BLANK
        )
    common = [f for f in scan.findings if f.code not in WINDOW_CODES]
    piece_options = replace(options, address_placement=placement)
    return_line = return_line_of(placement, scan, return_address_line)
    with uow:
        now = clock.now()
        if uow.address_lists.get(account_id, list_id) is None:  # deleted meanwhile
            raise NotFound(f"no address list {list_id}")
        batch = Batch(
            account_id=account_id,
            name=name or f"mail merge of {document.filename}",
            created_at=now,
            profile=profile.name,
            layout=layout.code,
            service_id=service.id,
            output_date=requested_output_date,
        )
        uow.pieces.add(batch)
        # The account's feed head is held from here to the commit: each chunk's feed
        # entries are numbered and written with it, so none is kept in memory.
        uow.feeds.lock(account_id)
        uow.pieces.flush()  # the batch row, which the pieces' rows refer to
        # Each piece prints the document and its service's configured pages (MailPiece).
        pages = document.page_count + configured_pages(service.boxes)
        piece = _PieceRow(
            account_id=account_id,
            document_id=document.id,
            options=piece_options,
            page_count=pages,
            own_pages=document.page_count,
            now=now,
            batch_id=batch.id,
            service_id=service.id,
            return_line=return_line,
            dialect_fields=dict(dialect_fields or {}),
        )
        home = profile.default_country
        address_page = placement is AddressPlacement.ADDRESS_PAGE
        made = eligible = 0
        reasons_seen: set[str] = set()
        rows: list[dict[str, Any]] = []
        seen_reasons: Any = None
        findings: list[dict[str, Any]] = []
        for entry in uow.address_lists.usable_entries(list_id, chunk=CHUNK):
            recipient = entry.recipient
            assert recipient is not None, "usable rows have their recipient"
            found = list(common)
            problem = fit_problem(layout, address_lines(recipient.to_dict(), home_country=home))
            if problem is not None:
                found.append(address_does_not_fit(problem))
            reasons = assess(
                page_count=pages,
                plex=options.plex,
                layout=layout,
                countries=profile.countries,
                recipient=recipient,
                findings=found,
                address_page=address_page,
            )
            ok = not has_errors(list(reasons))
            if not ok:
                reasons_seen.update(f.code for f in reasons if f.severity is Severity.ERROR)
            if reasons != seen_reasons:  # most rows have the ones the row before had
                seen_reasons, findings = reasons, [f.to_dict() for f in reasons]
            rows.append(piece.row(recipient, ok, findings))
            made += 1
            eligible += ok
            if len(rows) == CHUNK:
                _write_chunk(uow, account_id, batch.id, rows, now)
                rows = []
        _write_chunk(uow, account_id, batch.id, rows, now)
        if eligible == 0:
            _refuse_no_eligible(made, reasons_seen)
        uow.commit()
    return MergedBatch(batch, service, placement, made, eligible, invalid)


@dataclass(frozen=True)
class _PieceRow:
    """What every piece of one merge shares; `row` makes one piece's row of mail_pieces."""

    account_id: str
    document_id: str
    options: PieceOptions
    page_count: int  # every page it prints (MailPiece.page_count)
    own_pages: int  # its document's
    now: datetime
    batch_id: str
    service_id: str
    return_line: str
    dialect_fields: dict[str, Any]

    def row(
        self, recipient: Recipient, eligible: bool, findings: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "id": new_id(),
            "account_id": self.account_id,
            "document_id": self.document_id,
            "recipient": recipient,
            "options": self.options,
            "page_count": self.page_count,
            "own_pages": self.own_pages,
            "state": PieceState.CLOSED,
            "lot_id": None,
            "failure_code": None,
            "failure_reason": None,
            "created_at": self.now,
            "updated_at": self.now,
            "version": 1,
            "batch_id": self.batch_id,
            "first_page": 1,
            "address_source": "given",
            "eligible": eligible,
            "findings": findings,
            "service_id": self.service_id,
            "sheets": 0,
            "weight_g": 0,
            "price_minor": 0,
            "output_date": None,
            "expected_post_date": None,
            "tracking_reference": None,
            "annexes": _NONE,  # shared by every row: the insert converts it once
            "delivery": _NOTHING,
            "external_reference": None,
            "client_reference": None,
            "dialect_fields": self.dialect_fields,
            "redacted_at": None,
            "return_line": self.return_line,
        }


def _write_chunk(
    uow: UnitOfWork, account_id: str, batch_id: str, rows: list[dict[str, Any]], now: datetime
) -> None:
    """Insert a chunk of pieces (one bulk statement, no ORM objects) with their feed entries
    and evidence, numbered from the account's head (held by this transaction): all of it
    is rolled back with the transaction, and becomes visible with its commit."""
    if not rows:
        return
    uow.pieces.insert_rows(rows)
    for row in rows:
        uow.feeds.note_change(
            account_id,
            NotedChange(
                "piece", row["id"], "piece.state", PieceState.CLOSED.value, {"batch_id": batch_id}
            ),
        )
    uow.feeds.write_pending(now)


def _refuse_no_eligible(pieces: int, reasons: set[str]) -> NoReturn:
    """No piece of the merge can be produced: say why (the pieces are rolled back)."""
    if reasons == {COUNTRY_NOT_SERVED}:
        raise InvalidInput(
            "the service does not deliver to the countries of the list's addresses",
            code=ErrorCode.COUNTRY_NOT_SERVED,
            detail={"pieces": pieces},
        )
    raise InvalidInput(
        f"none of the {pieces} pieces can be produced: {', '.join(sorted(reasons))}",
        code=ErrorCode.NO_ELIGIBLE_PIECE,
        detail={"pieces": pieces, "reasons": sorted(reasons)},
    )


def return_line_for(address: Recipient) -> str:
    """A sender's return address as the one line printed above the recipient; InvalidInput
    return_address_invalid when its country refuses it."""
    try:
        checked = check_given_address(address)
    except InvalidInput as refused:
        raise InvalidInput(
            f"the return address is not valid: {refused.message}",
            code=ErrorCode.RETURN_ADDRESS_INVALID,
            detail=refused.detail,
        ) from refused
    return ", ".join(address_lines(checked.to_dict(), home_country=checked.country))


def _rejection(report: Mapping[str, Any]) -> str:
    errors = [
        str(f.get("message", f.get("code", "")))
        for f in report.get("findings", [])
        if f.get("severity") == Severity.ERROR.value
    ]
    return "preflight refused the document: " + ("; ".join(errors) or "no pages")


def batch_progress(
    *, uow: UnitOfWork, account_id: str, batch_id: str
) -> tuple[Batch, dict[PieceState, int]]:
    """A merged batch and how many of its pieces are in each state."""
    with uow:
        batch = uow.pieces.batch(account_id, batch_id)
        if batch is None:
            raise NotFound(f"no batch {batch_id}")
        return batch, dict(uow.pieces.piece_state_counts_of_batch(batch_id))
