"""Hand-over to channels: a lot's files composed by the lot's own channel (COMPOSE_LOT), and
a piece handed to a channel that takes pieces one at a time (HAND_OFF_PIECE)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from postroom.channels.base import Channel, PermanentChannelError, Submission
from postroom.documents.compose import PageRange
from postroom.documents.lot_files import LotEntry
from postroom.domain.catalog import BoxKind, Service, added_pages, is_background
from postroom.domain.clock import Clock
from postroom.domain.errors import InvalidInput, RetryableError
from postroom.domain.geometry import EnvelopeLayout
from postroom.domain.model import AddressPlacement, MailPiece
from postroom.domain.states import LotState, PieceState
from postroom.services.catalog import layout_for_envelope
from postroom.services.intake import resolve_layout, resolve_profile
from postroom.services.ports import BlobStore, ChannelDirectory, UnitOfWork, UnitOfWorkFactory
from postroom.services.stages import STAGE_COMPOSE, STAGE_HAND_OFF

log = logging.getLogger(__name__)


def channel_for(channels: ChannelDirectory, name: str) -> Channel:
    """The channel `name`; RetryableError while this process does not have it (a setting
    an operator can fix: the lot or piece waits for it instead of failing)."""
    try:
        return channels.get(name)
    except LookupError as exc:
        raise RetryableError(f"{exc}: set POSTROOM_CHANNELS or install its plugin") from exc


def compose_lot(
    *,
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    channels: ChannelDirectory,
    lot_id: str,
    message_id: int,
) -> None:
    """Have the lot's channel write its files, then move the lot to composed and its pieces
    to transferred."""
    with uow:
        # Locked: a duplicate delivery waits here, then finds the lot composed, instead of
        # rewriting files the print room may already be taking.
        lot = uow.lots.get_for_update(lot_id)
        if lot is None or lot.state is not LotState.COMPOSING:
            uow.outbox.mark_done(message_id, clock.now())
            uow.commit()
            return
        channel = channel_for(channels, lot.channel)
        pieces = [p for p in uow.pieces.in_lot(lot_id) if p.state is PieceState.ALLOCATED]
        entries = [lot_entry(uow, blobs, piece) for piece in pieces]
        # "lot <id> composing: " and "lot <id> composed: " are read by the kill tests.
        log.info("lot %s composing: %d pieces on %s", lot_id, len(entries), lot.channel)
        try:
            receipt = channel.submit(
                Submission(
                    lot_id=lot_id,
                    created_at=lot.created_at,
                    entries=entries,
                    channel=lot.channel,
                    envelope=str(lot.group_key.get("envelope") or ""),
                )
            )
        except PermanentChannelError as exc:
            # Nothing was handed over (the print channel's read-back refused the lot, or the
            # channel refused it) and a retry would do the same: the lot and its pieces
            # fail with the channel's code and reason.
            now = clock.now()
            code = str(getattr(exc, "code", "") or "channel_refused")
            lot.mark_failed()
            for piece in pieces:
                piece.fail(code, f"{lot.channel}: {exc}", now)
            uow.outbox.mark_done(message_id, now)
            uow.commit()
            log.error("lot %s failed on %s: %s", lot_id, lot.channel, exc)
            return
        now = clock.now()
        lot.mark_composed(pdf_sha256=receipt.facts["pdf_sha256"], now=now)
        lot.page_count = receipt.facts.get("page_count", lot.page_count)
        lot.sheet_count = receipt.facts.get("sheet_count", lot.sheet_count)
        lot.files = dict(receipt.facts.get("files", {}))
        for piece in pieces:
            piece.move_to(PieceState.TRANSFERRED, now)
        uow.stages.record(lot_id, STAGE_COMPOSE, now)
        uow.outbox.mark_done(message_id, now)
        uow.commit()
    log.info("lot %s composed: %d pieces", lot_id, len(entries))


def hand_off_piece(
    *,
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    channels: ChannelDirectory,
    channel_name: str,
    piece_id: str,
    message_id: int,
) -> None:
    """Hand an allocated piece to its channel (one that takes pieces) and mark it
    transferred with the channel's reference; a permanent refusal fails it with the
    channel's reason, a retryable one raises so the worker tries again.

    The submission carries the piece's id: a channel must treat a second submission of
    the same piece (a retry after a crash between hand-over and commit) as the first."""
    channel = channel_for(channels, channel_name)
    with uow_factory() as uow:
        piece = uow.pieces.get_by_id(piece_id)
        if (
            piece is None
            or piece.state is not PieceState.ALLOCATED
            or uow.stages.has_run(piece_id, STAGE_HAND_OFF)
        ):
            uow.outbox.mark_done(message_id, clock.now())
            uow.commit()
            return
        entry = lot_entry(uow, blobs, piece)
        created_at = piece.created_at
    # No transaction is open while the provider takes its time.
    failure: PermanentChannelError | None = None
    try:
        receipt = channel.submit(
            Submission(lot_id=piece_id, created_at=created_at, entries=[entry])
        )
    except PermanentChannelError as exc:
        failure = exc
    with uow_factory() as uow:
        now = clock.now()
        piece = uow.pieces.get_by_id(piece_id)
        if piece is not None and piece.state is PieceState.ALLOCATED:
            if failure is None:
                piece.external_reference = receipt.reference
                piece.move_to(PieceState.TRANSFERRED, now)
            else:
                code = str(getattr(failure, "code", "") or "channel_refused")
                piece.fail(code, f"{channel_name}: {failure}", now)
        uow.stages.record(piece_id, STAGE_HAND_OFF, now)
        uow.outbox.mark_done(message_id, now)
        uow.commit()
    log.info("piece %s handed to %s", piece_id, channel_name)


def lot_entry(uow: UnitOfWork, blobs: BlobStore, piece: MailPiece) -> LotEntry:
    """The piece as composition needs it: its own pages, annexes, configured pages (the
    piece's page_count in all, as it was priced), service facts."""
    document = uow.pieces.document_by_id(piece.document_id)
    assert document is not None
    service = uow.catalog.service(piece.service_id) if piece.service_id else None
    batch = uow.pieces.batch_by_id(piece.batch_id) if piece.batch_id else None
    profile = resolve_profile(document.profile)
    layout_code = (service.layout if service else "") or (batch.layout if batch else "")
    extra: list[PageRange] = []
    background: PageRange | None = None
    for annex_id in piece.annexes:
        annex = uow.pieces.document_by_id(annex_id)
        assert annex is not None
        extra.append(PageRange(blobs.path(annex.printable_sha256), 1, annex.page_count))
    for box in service.boxes if service else []:
        if box.get("kind") == BoxKind.CONFIGURED and box.get("blob_sha256"):
            path = blobs.path(box["blob_sha256"])
            if is_background(box):
                background = PageRange(path, 1, 1)
            else:
                extra.append(PageRange(path, 1, added_pages(box)))
    printed = piece.own_pages + sum(r.count for r in extra)
    if printed != piece.page_count:
        # Its service's configured files changed after it was counted and priced: it
        # prints what its service has now.
        log.warning(
            "piece %s prints %d pages of content, counted %d when priced",
            piece.id, printed, piece.page_count,
        )  # fmt: skip
    return LotEntry(
        piece_id=piece.id,
        account_id=piece.account_id,
        source_path=blobs.path(document.printable_sha256),
        own_pages=piece.own_pages,
        recipient=piece.recipient.to_dict() if piece.recipient else {},
        options=piece.options.to_dict(),
        first_page=piece.first_page,
        annexes=tuple(extra),
        background=background,
        address_page=bool(service and service.address_page) or piece.own_address_page,
        address_in_window=piece.options.address_placement is AddressPlacement.WINDOW,
        return_line=piece.return_line,
        layout=_layout_of(piece, service, resolve_layout(layout_code, profile)).code,
        home_country=profile.default_country,
        weight_g=piece.weight_g,
        price_minor=piece.price_minor,
        tracking_reference=piece.tracking_reference,
        delivery=piece.delivery,
    )


def _layout_of(piece: MailPiece, service: Service | None, base: EnvelopeLayout) -> EnvelopeLayout:
    """The layout of the envelope the piece was ordered in (a flat's for a #10 service's
    piece ordered flat), else `base`."""
    if service is None or not piece.options.envelope:
        return base
    try:
        return layout_for_envelope(base, piece.options.envelope)
    except InvalidInput:  # ordered before its service's layout changed: as it was
        return base


def compose_now(
    *,
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    channels: ChannelDirectory,
    lot_ids: Sequence[str],
    on_lot: Callable[[str], None] | None = None,
) -> int:
    """Compose lots in this process (the operator's extra run), finishing their outbox
    messages as the worker would; a worker that meets the message later finds it done."""
    composed = 0
    for lot_id in lot_ids:
        with uow_factory() as uow:
            message_id = uow.lots.compose_message_id(lot_id)
        compose_lot(
            uow=uow_factory(),
            blobs=blobs,
            clock=clock,
            channels=channels,
            lot_id=lot_id,
            message_id=message_id if message_id is not None else -1,
        )
        composed += 1
        if on_lot is not None:
            on_lot(lot_id)
    return composed
