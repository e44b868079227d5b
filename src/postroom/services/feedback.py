"""Print-shop feedback: pieces and lots move to printed, posted or failed, along the
transition tables only; a lot that is posted gets its deposit proof.

A file of thousands of rows is applied in a few transactions: each chunk of rows loads its
pieces in a handful of queries, and every row gets its own result (applied, or refused
with a stable code), never a silent skip."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TextIO

from postroom.documents.proofs import DepositProof, ProofLine, render_deposit_proof
from postroom.domain.clock import Clock, to_utc
from postroom.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from postroom.domain.model import Lot, MailPiece
from postroom.domain.states import (
    LOT_TRANSITIONS,
    PIECE_TRANSITIONS,
    LotState,
    PieceState,
    check_transition,
)
from postroom.services.ports import BlobStore, ChannelDirectory, UnitOfWork, UnitOfWorkFactory
from postroom.services.production import require_operator
from postroom.services.retry import retrying
from postroom.services.tracking import ship_piece

log = logging.getLogger(__name__)

DEPOSIT_PROOF_FILE = "deposit-proof.pdf"
CSV_COLUMNS = ("piece_id", "status", "time", "reason")
REASON_MAX = 2000  # characters of a row's reason, as POST /v1/lots/{id}/feedback takes
CHUNK_ROWS = 5000
# A print shop's clock may run a little ahead of ours; more than this is a typo.
FUTURE_TOLERANCE = timedelta(minutes=10)
FAILURE_CODE = "production_failed"

# States a piece can only be in once the print shop has its lot.
IN_PRODUCTION = frozenset(
    {
        PieceState.TRANSFERRED,
        PieceState.PRINTED,
        PieceState.POSTED,
        PieceState.DELIVERED,
        PieceState.RETURNED,
        PieceState.FAILED,
    }
)
PRINTED_OR_LATER = frozenset(
    {PieceState.PRINTED, PieceState.POSTED, PieceState.DELIVERED, PieceState.RETURNED}
)
POSTED_OR_LATER = frozenset({PieceState.POSTED, PieceState.DELIVERED, PieceState.RETURNED})


class FeedbackStatus(StrEnum):
    """What a print shop can report about a piece or a lot."""

    PRINTED = "printed"
    POSTED = "posted"
    FAILED = "failed"


TARGETS = {
    FeedbackStatus.PRINTED: PieceState.PRINTED,
    FeedbackStatus.POSTED: PieceState.POSTED,
    FeedbackStatus.FAILED: PieceState.FAILED,
}


class Outcome(StrEnum):
    """What became of one feedback row."""

    APPLIED = "applied"
    REFUSED = "refused"


@dataclass(frozen=True)
class FeedbackRow:
    """One row as the print shop wrote it; checked when applied, so a bad row is refused
    with a code instead of failing the file."""

    line: int
    piece_id: str
    status: str
    time: str
    reason: str = ""


@dataclass(frozen=True)
class RowResult:
    """The result of one row."""

    line: int
    piece_id: str
    status: str
    outcome: Outcome
    code: str | None = None
    message: str = ""


@dataclass
class FeedbackReport:
    """Every row's result, with totals and the lots that moved."""

    results: list[RowResult] = field(default_factory=list)
    lots_printed: list[str] = field(default_factory=list)
    lots_posted: list[str] = field(default_factory=list)
    lots_failed: list[str] = field(default_factory=list)

    @property
    def applied(self) -> int:
        """Rows applied."""
        return sum(1 for r in self.results if r.outcome is Outcome.APPLIED)

    @property
    def refused(self) -> int:
        """Rows refused."""
        return len(self.results) - self.applied

    def refused_by_code(self) -> dict[str, int]:
        """How many rows were refused for each code."""
        counts: dict[str, int] = {}
        for r in self.results:
            if r.code is not None:
                counts[r.code] = counts.get(r.code, 0) + 1
        return dict(sorted(counts.items()))


def read_csv(stream: TextIO) -> list[FeedbackRow]:
    """The rows of a feedback file (header: piece_id,status,time,reason; reason optional)."""
    reader = csv.DictReader(stream)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in CSV_COLUMNS[:3] if name not in header]
    if missing:
        raise InvalidInput(
            f"the feedback file needs the columns {', '.join(CSV_COLUMNS)}; "
            f"missing {', '.join(missing)}",
            code=ErrorCode.INVALID_FEEDBACK_FILE,
            detail={"missing": missing},
        )
    reader.fieldnames = header
    rows: list[FeedbackRow] = []
    try:
        for record in reader:
            rows.append(
                FeedbackRow(
                    line=reader.line_num,
                    piece_id=(record.get("piece_id") or "").strip(),
                    status=(record.get("status") or "").strip().lower(),
                    time=(record.get("time") or "").strip(),
                    reason=(record.get("reason") or "").strip(),
                )
            )
    except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB field limit
        line = reader.line_num + 1  # the record being read: lines read before it, plus one
        raise InvalidInput(
            f"the feedback file cannot be read at line {line}: {exc}",
            code=ErrorCode.INVALID_FEEDBACK_FILE,
            detail={"line": line},
        ) from exc
    return rows


def read_csv_bytes(data: bytes) -> list[FeedbackRow]:
    """read_csv for an uploaded file (UTF-8, with or without a byte-order mark)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "the feedback file is not UTF-8 text", code=ErrorCode.INVALID_FEEDBACK_FILE
        ) from exc
    return read_csv(io.StringIO(text, newline=""))


def _parse_time(raw: str) -> datetime:
    """An ISO 8601 time in UTC (none given: UTC); ValueError when it is not one."""
    return to_utc(datetime.fromisoformat(raw))


def _refuse(row: FeedbackRow, code: str, message: str) -> RowResult:
    return RowResult(row.line, row.piece_id, row.status, Outcome.REFUSED, code, message)


def _path(current: PieceState, target: PieceState) -> list[PieceState] | None:
    """The steps from current to target along the table; a posted report for a piece not
    yet reported printed passes through printed (a posted letter was printed)."""
    steps = [target]
    if target is PieceState.POSTED and current is PieceState.TRANSFERRED:
        steps = [PieceState.PRINTED, PieceState.POSTED]
    state = current
    for step in steps:
        if step not in PIECE_TRANSITIONS[state]:
            return None
        state = step
    return steps


def apply_row(piece: MailPiece | None, row: FeedbackRow, now: datetime) -> RowResult:
    """Check one row and move its piece when it may move (the piece is changed in place)."""
    if not row.piece_id:
        return _refuse(row, "piece_id_missing", "the row names no piece")
    try:
        status = FeedbackStatus(row.status)
    except ValueError:
        return _refuse(
            row, "status_unknown", f"status must be printed, posted or failed, not {row.status!r}"
        )
    if len(row.reason) > REASON_MAX:
        return _refuse(
            row, "reason_too_long", f"reason is {len(row.reason)} characters; at most {REASON_MAX}"
        )
    try:
        at = _parse_time(row.time)
    except ValueError:  # not ISO 8601, or no UTC form (TimeOutOfRange)
        shown = row.time if len(row.time) <= 64 else f"{row.time[:64]}..."
        return _refuse(row, "time_invalid", f"time must be ISO 8601 in years 1-9999, not {shown!r}")
    if at > now + FUTURE_TOLERANCE:
        return _refuse(row, "time_in_future", f"{row.time} is in the future")
    if piece is None:
        return _refuse(row, "piece_not_found", f"no piece {row.piece_id}")
    if piece.lot_id is None or piece.state not in IN_PRODUCTION:
        return _refuse(
            row, "not_in_production", f"the piece is {piece.state.value}, not with a print shop"
        )
    target = TARGETS[status]
    if piece.state is target:
        return _refuse(row, "already_in_state", f"the piece is already {target.value}")
    steps = _path(piece.state, target)
    if steps is None:
        return _refuse(
            row, "illegal_transition", f"cannot go from {piece.state.value} to {target.value}"
        )
    for step in steps:
        if step is PieceState.FAILED:
            piece.fail(FAILURE_CODE, row.reason or "reported failed by the print shop", at)
        else:
            piece.move_to(step, at)
    return RowResult(row.line, row.piece_id, row.status, Outcome.APPLIED)


def apply_feedback(
    *,
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    channels: ChannelDirectory,
    rows: Sequence[FeedbackRow],
    on_progress: Callable[[int], None] | None = None,
) -> FeedbackReport:
    """Apply feedback rows in chunks, then settle every lot they touched (printed, posted
    with its deposit proof, or failed)."""
    report = FeedbackReport()
    lots_at: dict[str, datetime] = {}
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows[start : start + CHUNK_ROWS]
        results, touched = retrying(partial(_apply_chunk, uow_factory, clock, chunk))
        report.results.extend(results)
        for lot_id, at in touched.items():
            lots_at[lot_id] = max(at, lots_at.get(lot_id, at))
        if on_progress is not None:
            on_progress(len(chunk))
    for lot_id, at in sorted(lots_at.items()):
        settle = partial(_settle_fresh, uow_factory, blobs, clock, channels, lot_id, at)
        moved = retrying(settle)
        if moved is LotState.POSTED:
            report.lots_posted.append(lot_id)
        elif moved is LotState.PRINTED:
            report.lots_printed.append(lot_id)
        elif moved is LotState.FAILED:
            report.lots_failed.append(lot_id)
    log.info("feedback: %d rows applied, %d refused", report.applied, report.refused)
    return report


def _apply_chunk(
    uow_factory: UnitOfWorkFactory, clock: Clock, rows: Sequence[FeedbackRow]
) -> tuple[list[RowResult], dict[str, datetime]]:
    touched: dict[str, datetime] = {}
    with uow_factory() as uow:
        now = clock.now()
        pieces = uow.lots.pieces_by_ids([r.piece_id for r in rows if r.piece_id])
        results = []
        for row in rows:
            piece = pieces.get(row.piece_id)
            result = apply_row(piece, row, now)
            results.append(result)
            if result.outcome is Outcome.APPLIED and piece is not None and piece.lot_id:
                at = piece.updated_at
                if piece.state is PieceState.POSTED:
                    ship_piece(uow, piece, at, now)
                touched[piece.lot_id] = max(at, touched.get(piece.lot_id, at))
        uow.commit()
    return results, touched


def _settle_fresh(
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    channels: ChannelDirectory,
    lot_id: str,
    at: datetime,
) -> LotState | None:
    """settle_lot on a fresh unit of work (each retry needs its own)."""
    return settle_lot(
        uow=uow_factory(), blobs=blobs, clock=clock, channels=channels, lot_id=lot_id, at=at
    )


def _walk_lot(lot: Lot, target: LotState, at: datetime) -> None:
    """Move a lot to target, through printed when it goes from composed to posted."""
    if target is LotState.POSTED and lot.state is LotState.COMPOSED:
        _walk_lot(lot, LotState.PRINTED, at)
    lot.state = check_transition(LOT_TRANSITIONS, lot.state, target)
    if target is LotState.PRINTED:
        lot.printed_at = at
    elif target is LotState.POSTED:
        lot.posted_at = at


def settle_lot(
    *,
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    channels: ChannelDirectory,
    lot_id: str,
    at: datetime,
) -> LotState | None:
    """Move the lot on when all its live pieces have: printed, posted (issuing the deposit
    proof), or failed when none is left; returns the new state, or None when it stays."""
    with uow:
        lot = uow.lots.get_for_update(lot_id)
        if lot is None or lot.state not in (LotState.COMPOSED, LotState.PRINTED):
            return None
        counts = uow.lots.piece_state_counts(lot_id)
        live = sum(
            n for s, n in counts.items() if s not in (PieceState.FAILED, PieceState.CANCELLED)
        )
        printed = sum(n for s, n in counts.items() if s in PRINTED_OR_LATER)
        posted = sum(n for s, n in counts.items() if s in POSTED_OR_LATER)
        if live == 0:
            target = LotState.FAILED
        elif posted == live:
            target = LotState.POSTED
        elif printed == live and lot.state is LotState.COMPOSED:
            target = LotState.PRINTED
        else:
            return None
        _walk_lot(lot, target, at)
        if target is LotState.POSTED:
            _issue_proof(uow, blobs, clock, channels, lot)
        uow.commit()
    return target


def _issue_proof(
    uow: UnitOfWork, blobs: BlobStore, clock: Clock, channels: ChannelDirectory, lot: Lot
) -> None:
    """Render the deposit proof, keep it as a blob and beside the lot's files, where the
    lot's channel wrote them (the hot folder, or the bucket lots are published to)."""
    pieces = uow.pieces.in_lot(lot.id)
    posted = [p for p in pieces if p.state in POSTED_OR_LATER]
    currencies = {
        a.currency for a in (uow.accounts.get(i) for i in {p.account_id for p in posted}) if a
    }
    proof = DepositProof(
        lot_id=lot.id,
        posted_at=lot.posted_at or clock.now(),
        issued_at=clock.now(),
        print_file_sha256=lot.pdf_sha256 or lot.files.get("print.pdf", "") or "-",
        lines=tuple(_proof_line(p) for p in posted),
        failed_count=sum(1 for p in pieces if p.state is PieceState.FAILED),
        currency=currencies.pop() if len(currencies) == 1 else "mixed currencies",
    )
    data = render_deposit_proof(proof)
    sha256, _ = blobs.put(io.BytesIO(data))
    try:
        channel = channels.get(lot.channel)
    except LookupError:  # a channel this process is not configured with: the blob is the proof
        log.warning("lot %s: no %s channel here to keep its deposit proof", lot.id, lot.channel)
    else:
        channel.keep_beside_lot(lot.id, DEPOSIT_PROOF_FILE, data)
    lot.deposit_proof_sha256 = sha256
    lot.files = {**lot.files, DEPOSIT_PROOF_FILE: sha256}


def _proof_line(piece: MailPiece) -> ProofLine:
    recipient = piece.recipient
    return ProofLine(
        piece_id=piece.id,
        tracking_reference=piece.tracking_reference,
        postage=piece.options.postage.value,
        country=recipient.country if recipient else "",
        postal_code=recipient.postal_code if recipient else "",
        sheets=piece.sheets or piece.page_count,
        weight_g=piece.weight_g,
        price_minor=piece.price_minor,
    )


# --- entry points for the operator's API --------------------------------------------------


def import_feedback(
    *,
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    channels: ChannelDirectory,
    account_id: str,
    data: bytes | None,
) -> FeedbackReport:
    """Apply an uploaded feedback CSV for a caller who must be the print room's operator."""
    with uow_factory() as uow:
        require_operator(uow, account_id)
    if data is None:
        raise InvalidInput(
            "send the feedback CSV as the file field", code=ErrorCode.VALIDATION_ERROR
        )
    return apply_feedback(
        uow_factory=uow_factory,
        blobs=blobs,
        clock=clock,
        channels=channels,
        rows=read_csv_bytes(data),
    )


def lot_feedback(
    *,
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    channels: ChannelDirectory,
    account_id: str,
    lot_id: str,
    status: str,
    time: str,
    reason: str = "",
) -> FeedbackReport:
    """Report one status for every piece of a lot still in production (operator only)."""
    with uow_factory() as uow:
        require_operator(uow, account_id)
        if uow.lots.get(lot_id) is None:
            raise NotFound(f"no lot {lot_id}")
        ids = [p.id for p in uow.pieces.in_lot(lot_id) if p.state is not PieceState.FAILED]
    rows = [
        FeedbackRow(i + 1, pid, status.strip().lower(), time, reason) for i, pid in enumerate(ids)
    ]
    return apply_feedback(
        uow_factory=uow_factory, blobs=blobs, clock=clock, channels=channels, rows=rows
    )


def deposit_proof_path(*, uow: UnitOfWork, blobs: BlobStore, account_id: str, lot_id: str) -> Path:
    """Where the lot's deposit proof is stored (operator only); Conflict until it is posted."""
    with uow:
        require_operator(uow, account_id)
        lot = uow.lots.get(lot_id)
        if lot is None:
            raise NotFound(f"no lot {lot_id}")
        if lot.deposit_proof_sha256 is None:
            raise Conflict(
                f"the lot is {lot.state.value}; its deposit proof is issued when it is posted",
                code=ErrorCode.NO_DEPOSIT_PROOF,
                detail={"state": lot.state.value},
            )
        return blobs.path(lot.deposit_proof_sha256)
