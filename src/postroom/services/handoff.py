"""Pieces handed to a hand-off channel (docs/handoff.md): their delivery facts taken when the
piece is opened, their hand-off asked for when their batch closes (never printed, never in a
lot), and the channel's reports moving them to sent, delivered or failed."""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from postroom.domain.clock import Clock
from postroom.domain.errors import DomainError, ErrorCode, InvalidInput, NotFound, RetryableError
from postroom.domain.handoff import (
    REPORTED_STATES,
    HandOffKind,
    HandOffReport,
    IdentifierScheme,
    Signer,
    check_identifier,
    check_signers,
)
from postroom.domain.model import MailPiece
from postroom.domain.states import PieceState
from postroom.services.email import normalise_address
from postroom.services.ports import UnitOfWork, UnitOfWorkFactory
from postroom.services.reachability import ebank_sender_in
from postroom.services.stages import HAND_OFF_PIECE

log = logging.getLogger(__name__)

HANDOFF = "handoff"  # the key of a hand-off piece's facts in its `delivery`
HANDOFF_CHANNEL = "handoff"  # the hand-off channel plugin (channels/handoff.py)
SANDBOX_REFERENCE = "sandbox:{}"  # a sandbox account's piece: recorded, never handed off
FAILED_CODE = "handoff_failed"  # a failed piece's code when the channel reports a failure
MAX_REASON = 500


@dataclass(frozen=True)
class HandOffRequest:
    """What a way in asks for: the network, the recipient's identifier, the address object
    as the caller wrote it (kept and handed over as it is), its own references (unique id,
    campaign...), the e-bank sender (its FUI; None for the account's first), the signers."""

    kind: HandOffKind
    recipient: str
    address: Mapping[str, Any]
    references: Mapping[str, Any] = field(default_factory=dict)
    ebank_sender: str | None = None
    signers: tuple[Signer, ...] = ()
    # Identifiers of a known scheme to check: (what it is, its scheme, its value).
    identifiers: tuple[tuple[str, IdentifierScheme, str], ...] = ()
    emails: tuple[str, ...] = ()  # addresses the receiving side writes to (signers' links)
    channel: str = HANDOFF_CHANNEL

    def __post_init__(self) -> None:
        """The recipient (missing_recipient), or for a document to sign its signers
        (domain.handoff.check_signers); each identifier valid for its scheme
        (invalid_identifier) and each email address one (invalid_email_address)."""
        if self.kind is HandOffKind.SIGNING:
            check_signers(self.signers)
        elif not self.recipient.strip():
            raise InvalidInput(
                f"a {self.kind.value} piece needs its recipient", code=ErrorCode.MISSING_RECIPIENT
            )
        for what, scheme, value in self.identifiers:
            check_identifier(scheme, value, what=what)
        for address in self.emails:
            normalise_address(address)


def no_lookup_register(recipient: str) -> NoReturn:
    """An address looked up in Sweden's population register (Navet) by personal identity
    number: InvalidInput missing_recipient / invalid_identifier for the number, then
    no_lookup_register, always: Postroom has no Navet connection (docs/handoff.md)."""
    if not recipient.strip():
        raise InvalidInput("a lookup needs its recipient", code=ErrorCode.MISSING_RECIPIENT)
    check_identifier(IdentifierScheme.SE_SSNNO, recipient)
    raise InvalidInput(
        "Postroom has no connection to the population register (Navet) to look the address "
        "up; give a postal address instead",
        code=ErrorCode.NO_LOOKUP_REGISTER,
    )


def delivery_for(uow: UnitOfWork, account_id: str, request: HandOffRequest) -> dict[str, Any]:
    """A new piece's delivery facts, in the caller's transaction: an e-bank piece needs an
    e-bank sender of the account with receivers (fui_not_registered, fui_without_receivers).
    The report token is what the channel's reports about this piece must carry."""
    facts: dict[str, Any] = {
        "kind": request.kind.value,
        "recipient": request.recipient,
        "address": dict(request.address),
        "references": dict(request.references),
        "channel": request.channel,
        "report_token": secrets.token_urlsafe(24),
    }
    if request.kind is HandOffKind.EBANK:
        facts["sender"], _ = ebank_sender_in(uow, account_id, request.ebank_sender)
    return {HANDOFF: facts}


def is_handoff_piece(piece: MailPiece) -> bool:
    """True when the piece leaves by a hand-off channel (its delivery facts say so)."""
    return HANDOFF in piece.delivery


def queue_handoff(*, uow: UnitOfWork, piece: MailPiece, sandbox: bool, now: datetime) -> None:
    """At its batch's close: accept the piece and, in the same transaction, allocate it (to
    no lot) and ask for HAND_OFF_PIECE on its channel. A sandbox account's piece is recorded
    as sent at once and never handed off."""
    if piece.state is PieceState.OPENED:
        piece.move_to(PieceState.CLOSED, now)
    piece.move_to(PieceState.ACCEPTED, now)
    if sandbox:
        piece.external_reference = SANDBOX_REFERENCE.format(piece.id)
        piece.move_to(PieceState.SENT, now)
        return
    piece.move_to(PieceState.ALLOCATED, now)
    channel = str(piece.delivery[HANDOFF].get("channel") or HANDOFF_CHANNEL)
    uow.outbox.add(HAND_OFF_PIECE, {"piece_id": piece.id, "channel_name": channel}, now)


def record_report(
    *,
    uow: UnitOfWork,
    clock: Clock,
    piece_id: str,
    token: str,
    status: str,
    reason: str = "",
    reference: str | None = None,
) -> MailPiece:
    """Apply a hand-off channel's report to its piece: `sent`, `delivered` or `failed` (with
    the reason). NotFound unless the token is the piece's; InvalidInput
    invalid_handoff_report for another status; a report the piece is already at changes
    nothing; IllegalTransition for one that cannot follow its state (delivered, then failed)."""
    try:
        report = HandOffReport(status.strip().lower())
    except ValueError:
        known = ", ".join(r.value for r in HandOffReport)
        raise InvalidInput(
            f"status must be one of {known}", code=ErrorCode.INVALID_HANDOFF_REPORT
        ) from None
    with uow:
        piece = uow.pieces.get_by_id(piece_id)
        expected = str(piece.delivery.get(HANDOFF, {}).get("report_token", "")) if piece else ""
        if (
            piece is None
            or not expected
            or not hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))
        ):
            raise NotFound(f"no handed-off piece {piece_id} with this token")
        target = REPORTED_STATES[report]
        if piece.state is not target:
            now = clock.now()
            if report is HandOffReport.FAILED:
                piece.fail(FAILED_CODE, (reason.strip() or "reported failed")[:MAX_REASON], now)
            else:
                piece.move_to(target, now)
            if reference:
                piece.delivery = {
                    **piece.delivery,
                    HANDOFF: {**piece.delivery[HANDOFF], "reported_reference": reference[:200]},
                }
            uow.commit()
        return piece


REPORT_FIELDS = ("piece_id", "token", "status", "reason", "reference")
DONE, REFUSED = "done", "refused"  # where read report files go, under the reports folder
MAX_REPORT_FILE = 64 * 1024


def import_report_files(*, uow_factory: UnitOfWorkFactory, clock: Clock, folder: Path) -> int:
    """Apply every report file in `folder` (`*.json`, one report each, the fields of POST
    /v1/handoff/reports; names starting with a dot are being written and are skipped): an
    applied one is moved to done/, a refused one to refused/ with a `.reason` file beside
    it; a retryable failure leaves it for the next run. Returns how many were read."""
    if not folder.is_dir():
        return 0
    read = 0
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            fields = _report_fields(path)
            record_report(uow=uow_factory(), clock=clock, **fields)
        except RetryableError:
            continue
        except (DomainError, ValueError) as exc:
            _move(path, folder / REFUSED)
            reason = exc.message if isinstance(exc, DomainError) else str(exc)
            (folder / REFUSED / f"{path.name}.reason").write_text(reason + "\n", encoding="utf-8")
            log.warning("hand-off report %s refused: %s", path.name, reason)
        else:
            _move(path, folder / DONE)
        read += 1
    return read


def _report_fields(path: Path) -> dict[str, str]:
    """The report a file holds; ValueError saying what is wrong with it."""
    if path.stat().st_size > MAX_REPORT_FILE:
        raise ValueError(f"a report file holds at most {MAX_REPORT_FILE} bytes")
    try:
        body = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a JSON report: {exc}") from exc
    if not isinstance(body, dict) or not all(
        isinstance(body.get(key, ""), str) for key in REPORT_FIELDS
    ):
        raise ValueError(f"a report is an object of strings: {', '.join(REPORT_FIELDS)}")
    missing = [key for key in REPORT_FIELDS[:3] if not body.get(key)]
    if missing:
        raise ValueError(f"a report needs {', '.join(missing)}")
    return {key: str(body[key]) for key in REPORT_FIELDS if body.get(key)}


def _move(path: Path, to: Path) -> None:
    to.mkdir(exist_ok=True)
    os.replace(path, to / path.name)
