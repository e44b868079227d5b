"""Pipeline stages: each is idempotent, keyed by (subject, stage), and marks its message done."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from postroom.documents.analysis import AnalysisRequest, DocumentAnalysis
from postroom.domain.clock import Clock
from postroom.domain.eligibility import assess
from postroom.domain.findings import Finding, Severity, has_errors
from postroom.domain.model import MailPiece
from postroom.domain.pricing import DEFAULT_PRICE_TABLE, PriceTable
from postroom.domain.records import OutboxMessage
from postroom.domain.registered_mail import registered_address_findings
from postroom.domain.states import DocumentState, LotState, PieceState
from postroom.services import email, order, tracking
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
    with uow_factory() as uow:
        piece = uow.pieces.get_by_id(piece_id)
        if piece is None or uow.stages.has_run(piece_id, STAGE_CHECK):
            uow.outbox.mark_done(message_id, clock.now())
            uow.commit()
            return
        document = uow.pieces.document_by_id(piece.document_id)
        assert document is not None
        service = uow.catalog.service(piece.service_id) if piece.service_id else None
        request = AnalysisRequest(
            path=str(blobs.path(document.blob_sha256)),
            profile_name=document.profile,
            layout_code=service.layout if service else "",
            read_window=piece.recipient is None and not email.is_email_piece(piece),
            page_count=document.page_count,
        )
        needed = piece.state is PieceState.CLOSED
    # The analysis may take seconds: it runs with no transaction open.
    analysed = run_analysis(analyse, blobs, request) if needed else None
    with uow_factory() as uow:
        now = clock.now()
        piece = uow.pieces.get_by_id(piece_id)
        if piece is None or uow.stages.has_run(piece_id, STAGE_CHECK):
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
            _judge_letter(uow, prices, piece, analysed.analysis, request, now)
        uow.stages.record(piece_id, STAGE_CHECK, now)
        uow.outbox.mark_done(message_id, now)
        uow.commit()


def _judge_letter(
    uow: UnitOfWork,
    prices: PriceTable,
    piece: MailPiece,
    analysis: DocumentAnalysis,
    request: AnalysisRequest,
    now: datetime,
) -> None:
    """Accept the letter (priced and charged), or fail it with the first error found."""
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
    profile = resolve_profile(request.profile_name)
    recipient = piece.recipient
    found = [*scan.findings, *(scan.address.findings if scan.address else ())]
    if recipient is None and scan.address is not None:
        recipient = scan.address.recipient
        piece.address_source = "window"
        # A given address was held to registered mail's limits at intake; a read one now.
        found += registered_address_findings(recipient, piece.options.postage)
    reasons = assess(
        page_count=piece.page_count,
        plex=piece.options.plex,
        layout=resolve_layout(request.layout_code, profile),
        countries=profile.countries,
        recipient=recipient,
        findings=found,
    )
    piece.recipient = recipient
    piece.findings = [f.to_dict() for f in reasons]
    piece.eligible = not has_errors(list(reasons))
    first_error = next((f for f in reasons if f.severity is Severity.ERROR), None)
    if first_error is None:
        # Eligible: it is produced only if its account can pay for it now (credit_exceeded,
        # monthly_limit_exceeded or too_heavy fail it, charging nothing). The door checked
        # an estimate (letters.submit_letter); this price, to the address read, is final.
        first_error = order.charge_letter(uow=uow, prices=prices, piece=piece, now=now)
    if first_error is not None:
        piece.fail(first_error.code, first_error.message, now)
    else:
        piece.move_to(PieceState.ACCEPTED, now)


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
