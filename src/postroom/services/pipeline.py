"""Pipeline stages: each is idempotent, keyed by (subject, stage), and marks its message done."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from postroom.addresses.match import same_address
from postroom.documents.address_page import address_lines, fit_problem
from postroom.documents.analysis import AnalysisRequest, DocumentAnalysis, PieceScan
from postroom.domain.catalog import Service
from postroom.domain.clock import Clock
from postroom.domain.eligibility import assess
from postroom.domain.findings import Finding, Severity, has_errors
from postroom.domain.model import ADDRESS_PAGE, AddressPlacement, MailPiece, Recipient
from postroom.domain.placement import (
    CLEAR_ZONE_NOT_CLEAR,
    WINDOW_CODES,
    address_does_not_fit,
    resolve_placement,
    return_line_not_printed,
    window_mismatch,
    window_not_blank,
)
from postroom.domain.pricing import DEFAULT_PRICE_TABLE, PriceTable
from postroom.domain.records import OutboxMessage
from postroom.domain.registered_mail import registered_address_findings
from postroom.domain.states import DocumentState, LotState, PieceState
from postroom.services import email, order, sms, tracking
from postroom.services.intake import (
    Analyser,
    resolve_layout,
    resolve_profile,
    run_analysis,
)
from postroom.services.ports import BlobStore, UnitOfWork, UnitOfWorkFactory
from postroom.services.stages import (
    CHECK_PIECE,
    COMPOSE_LOT,
    FOLD_EVENTS,
    HAND_OFF_PIECE,
    PREFLIGHT_DOCUMENT,
    SEND_EMAIL,
    SEND_SMS,
    STAGE_CHECK,
)

log = logging.getLogger(__name__)


def check_piece(
    *,
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    analyse: Analyser,
    piece_id: str,
    message_id: int,
    prices: PriceTable = DEFAULT_PRICE_TABLE,
) -> None:
    """Preflight a closed letter in the sandbox, read its window if it has no address, and
    accept it (priced, charged and scheduled) or fail it with the reasons it cannot go."""
    with uow_factory().reading() as uow:
        piece = uow.pieces.get_by_id(piece_id)
        look = None
        if piece is not None and not uow.stages.has_run(piece_id, STAGE_CHECK):
            look = _look_at(uow, blobs, piece)
    if piece is None or look is None:
        with uow_factory() as uow:
            uow.outbox.mark_done(message_id, clock.now())
            uow.commit()
        return
    needed = piece.state is PieceState.CLOSED
    # The analysis may take seconds: it runs with no transaction open.
    analysed = run_analysis(analyse, blobs, look.request) if needed else None
    with uow_factory() as uow:
        now = clock.now()
        piece = uow.pieces.get_by_id(piece_id)
        # Noted as run first: its row is written with everything the check writes, or not.
        if piece is None or not uow.stages.claim(piece_id, STAGE_CHECK, now):
            uow.outbox.mark_done(message_id, now)
            uow.commit()
            return
        document = uow.pieces.document_by_id(piece.document_id)
        assert document is not None
        if analysed is not None and piece.state is PieceState.CLOSED:
            if document.state is DocumentState.RECEIVED:
                document.record_preflight(
                    analysed.analysis.report, rejected=analysed.analysis.rejected
                )
                document.print_sha256 = analysed.print_sha256
            _judge_letter(uow, prices, piece, analysed.analysis, look, now)
        uow.outbox.mark_done(message_id, now)
        uow.commit()


@dataclass(frozen=True)
class _Look:
    """What a letter's check reads before its analysis, and uses after it: a service or
    return address changed in between counts as changed after the check."""

    request: AnalysisRequest  # what the sandbox is asked of the letter's document
    page_only: bool  # its address can only go on an address page of its own
    service: Service | None
    return_address: str  # its account's


def _look_at(uow: UnitOfWork, blobs: BlobStore, piece: MailPiece) -> _Look:
    """What the check of a letter needs to know before it is analysed."""
    document = uow.pieces.document_by_id(piece.document_id)
    assert document is not None
    service = uow.catalog.service(piece.service_id) if piece.service_id else None
    layout_code = service.layout if service else ""
    page_only = address_page_only(piece, service, layout_code, document.profile)
    # The window is read for the address when none is given, and to see whether a given
    # one can be printed there (blank) or is already printed there (the same one).
    looks = not email.is_email_piece(piece) and not (
        page_only or piece.options.address_placement is AddressPlacement.ADDRESS_PAGE
    )
    account = uow.accounts.get(piece.account_id)
    request = AnalysisRequest(
        path=str(blobs.path(document.blob_sha256)),
        profile_name=document.profile,
        layout_code=layout_code,
        read_window=looks or (piece.recipient is None and not email.is_email_piece(piece)),
        inspect_window=looks and piece.recipient is not None,
        inspect_return_line=bool(account and account.return_address),
        page_count=document.page_count,
    )
    return _Look(request, page_only, service, account.return_address if account else "")


def _judge_letter(
    uow: UnitOfWork,
    prices: PriceTable,
    piece: MailPiece,
    analysis: DocumentAnalysis,
    look: _Look,
    now: datetime,
) -> None:
    """Settle where its address is printed and whether its account's return line goes with
    it, then accept the letter (priced and charged), or fail it with the first error found."""
    if analysis.rejected:
        errors = [Finding.from_dict(f) for f in analysis.report.get("findings", [])]
        first = next((f for f in errors if f.severity is Severity.ERROR), None)
        piece.findings = [f.to_dict() for f in errors]
        piece.eligible = False
        piece.fail(
            first.code if first else "document_rejected",
            first.message if first else "the document was refused by preflight",
            now,
        )
        return
    scan = analysis.pieces[0]
    if email.is_email_piece(piece):
        email.accept_email_piece(uow=uow, piece=piece, findings=scan.findings, now=now)
        return
    profile = resolve_profile(look.request.profile_name)
    layout = resolve_layout(look.request.layout_code, profile)
    recipient = piece.recipient
    placement = resolve_placement(
        piece.options.address_placement,
        recipient_given=recipient is not None,
        address_page_only=look.page_only,
        window_blank=scan.window_blank,
    )
    if recipient is None:
        found = [*scan.findings, *(scan.address.findings if scan.address else ())]
        if scan.address is not None:
            recipient = scan.address.recipient
            piece.address_source = "window"
            # A given address was held to registered mail's limits at intake; a read one now.
            found += registered_address_findings(recipient, piece.options.postage)
    else:
        found = [*placement_findings(placement, scan, recipient, profile.default_country)]
    if recipient is not None and placement is not AddressPlacement.AS_PRINTED:
        lines = address_lines(recipient.to_dict(), home_country=profile.default_country)
        problem = fit_problem(layout, lines)
        if problem is not None:
            found.append(address_does_not_fit(problem))
    piece.options = replace(piece.options, address_placement=placement)
    piece.return_line = return_line_of(placement, scan, look.return_address)
    # A window that is not blank fails the letter already: the warning would only add noise.
    window = placement is AddressPlacement.WINDOW and scan.window_blank
    if look.return_address and window and not piece.return_line:
        found.append(return_line_not_printed())
    reasons = assess(
        page_count=piece.page_count,
        plex=piece.options.plex,
        layout=layout,
        countries=profile.countries,
        recipient=recipient,
        findings=found,
        address_page=placement is AddressPlacement.ADDRESS_PAGE,
    )
    piece.recipient = recipient
    piece.findings = [f.to_dict() for f in reasons]
    piece.eligible = not has_errors(list(reasons))
    first_error = next((f for f in reasons if f.severity is Severity.ERROR), None)
    if first_error is None:
        # Eligible: it is produced only if its account can pay for it now (credit_exceeded,
        # monthly_limit_exceeded or too_heavy fail it, charging nothing). The door checked
        # an estimate (letters.submit_letter); this price, to the address read, is final.
        first_error = order.charge_letter(
            uow=uow, prices=prices, piece=piece, now=now, service=look.service
        )
    if first_error is not None:
        piece.fail(first_error.code, first_error.message, now)
    else:
        piece.move_to(PieceState.ACCEPTED, now)


def return_line_of(placement: AddressPlacement, scan: PieceScan, return_address: str) -> str:
    """The return line printed with a letter: its account's return address with an address
    Postroom prints (on an address page, or into a window whose return line's place was
    seen blank), "" otherwise (as_printed prints nothing of Postroom's)."""
    if placement is AddressPlacement.ADDRESS_PAGE:
        return return_address
    if placement is AddressPlacement.WINDOW and scan.return_line_blank:
        return return_address
    return ""


def address_page_only(
    piece: MailPiece, service: Service | None, layout_code: str, profile_name: str
) -> bool:
    """True when the piece's address goes on an address page whatever it asks: its service
    prints one, its envelope has no window, or it was stored asking for one before address
    placements existed."""
    layout = resolve_layout(layout_code, resolve_profile(profile_name))
    legacy = bool(piece.delivery.get(ADDRESS_PAGE))
    return bool(service and service.address_page) or not layout.window or legacy


def placement_findings(
    placement: AddressPlacement, scan: PieceScan, given: Recipient, home_country: str
) -> list[Finding]:
    """What stops a letter with a given recipient from going with `placement`: a window that
    is not blank to print into, or a window that shows another address than the one given.
    The window's own findings count only as far as the placement uses the window."""
    found = [f for f in scan.findings if f.code not in WINDOW_CODES]
    if placement is AddressPlacement.WINDOW and not scan.window_blank:
        found.append(window_not_blank(scan.window_lines))
    elif placement is AddressPlacement.AS_PRINTED:
        found += [f for f in scan.findings if f.code == CLEAR_ZONE_NOT_CLEAR]
        read = scan.address.recipient if scan.address else None
        if read is None or not same_address(given, read):
            given_lines = address_lines(given.to_dict(), home_country=home_country)
            found.append(window_mismatch(scan.window_lines, given_lines))
    return found


def recover_in_memory_queue(*, uow: UnitOfWork) -> int:
    """After a restart with an in-memory broker, every unfinished message must be sent again."""
    with uow:
        count = uow.outbox.republish_all_pending()
        uow.commit()
    return count


STAGE_ACTORS = (CHECK_PIECE, PREFLIGHT_DOCUMENT, COMPOSE_LOT)


def relay_outbox(
    *,
    uow: UnitOfWork,
    clock: Clock,
    publish: Callable[[OutboxMessage], None],
    redeliver_after: timedelta,
    limit: int = 200,
) -> int:
    """Publish pending outbox messages to the task queue; returns how many were sent."""
    with uow:
        now = clock.now()
        messages = uow.outbox.claim(now=now, redeliver_before=now - redeliver_after, limit=limit)
        for message in messages:
            publish(message)
        uow.outbox.mark_published([m.id for m in messages], now)
        uow.commit()
    return len(messages)


def abandon_stage(
    *,
    uow: UnitOfWork,
    clock: Clock,
    actor: str,
    payload: dict[str, Any],
    message_id: int,
    reason: str,
) -> None:
    """A stage failed for a reason retrying cannot fix: fail its subject, finish its message."""
    with uow:
        now = clock.now()
        if actor == CHECK_PIECE:
            piece = uow.pieces.get_by_id(payload["piece_id"])
            if piece is not None and piece.state is PieceState.CLOSED:
                piece.fail("internal_error", reason, now)
        elif actor == PREFLIGHT_DOCUMENT:
            document = uow.pieces.document_by_id(payload["document_id"])
            if document is not None and document.state is DocumentState.RECEIVED:
                finding = Finding("internal_error", Severity.ERROR, reason)
                document.record_preflight({"findings": [finding.to_dict()]}, rejected=True)
        elif actor == FOLD_EVENTS:
            tracking.abandon_fold(uow=uow, batch_id=payload["batch_id"], reason=reason)
        elif actor == SEND_EMAIL:
            email.abandon_send(uow=uow, piece_id=payload["piece_id"], reason=reason, now=now)
        elif actor == SEND_SMS:
            sms.abandon_send(uow=uow, sms_id=payload["sms_id"], reason=reason, now=now)
        elif actor == HAND_OFF_PIECE:
            piece = uow.pieces.get_by_id(payload["piece_id"])
            if piece is not None and piece.state is PieceState.ALLOCATED:
                piece.fail("internal_error", reason, now)
        elif actor == COMPOSE_LOT:
            lot = uow.lots.get(payload["lot_id"])
            if lot is not None and lot.state is LotState.COMPOSING:
                lot.mark_failed()
                for piece in uow.pieces.in_lot(lot.id):
                    if piece.state is PieceState.ALLOCATED:
                        piece.fail("internal_error", reason, now)
        uow.outbox.mark_done(message_id, now)
        uow.commit()
