"""Letters sent by email: the delivery facts taken at intake, the check that needs no postal
address, and the SEND_EMAIL stage (SMTP for live accounts, an .eml file for sandbox ones)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any, Protocol, runtime_checkable

from postroom.channels.base import PermanentChannelError, Receipt, RetryableChannelError
from postroom.channels.email_smtp import OutgoingEmail
from postroom.domain.catalog import Service
from postroom.domain.clock import Clock
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.findings import Finding, Severity
from postroom.domain.model import Document, MailPiece
from postroom.domain.records import EmailAttempt
from postroom.domain.states import PieceState
from postroom.services.ports import BlobStore, UnitOfWork, UnitOfWorkFactory
from postroom.services.stages import SEND_EMAIL, STAGE_SEND_EMAIL

log = logging.getLogger(__name__)

EMAIL_CHANNEL = "email_smtp"

MAX_ADDRESS = 254  # RFC 5321's path limit, less the angle brackets
MAX_LOCAL_PART = 64
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


MAX_SUBJECT = 200  # characters: one header line a mail client shows whole


def subject_problem(subject: str) -> str | None:
    """What is wrong with an email subject, or None: the one place its rules are written
    (the native API's schema and every dialect reach them through EmailRequest)."""
    if len(subject) > MAX_SUBJECT:
        return f"the subject is longer than {MAX_SUBJECT} characters"
    if any(ch < " " or ch == "\x7f" for ch in subject):
        # A mail header holds one line of text: no line breaks, NULs or other controls.
        return "the subject must be one line without control characters"
    return None


@dataclass(frozen=True)
class EmailRequest:
    """What a sender asks for: the address, and a subject and body (None: the service's).
    A subject that breaks the rules is InvalidInput invalid_email_subject at once."""

    to: str
    subject: str | None = None
    body: str | None = None

    def __post_init__(self) -> None:
        problem = None if self.subject is None else subject_problem(self.subject)
        if problem:
            raise InvalidInput(
                problem, code=ErrorCode.INVALID_EMAIL_SUBJECT, detail={"subject": self.subject}
            )


@runtime_checkable
class EmailSender(Protocol):
    """The email channel's per-message API (channels/email_smtp.EmailSmtpChannel)."""

    @property
    def server(self) -> str: ...
    def new_message_id(self) -> str: ...
    def send(self, email: OutgoingEmail) -> Receipt: ...
    def keep_in_sandbox(self, email: OutgoingEmail) -> Receipt: ...


def normalise_address(raw: str) -> str:
    """The address as we send to it (domain in lower-case ASCII), or InvalidInput
    invalid_email_address saying what is wrong with it."""
    text = raw.strip()
    local, at, domain = text.rpartition("@")
    problem = ""
    ascii_domain = ""
    if not at or not local or not domain:
        problem = "it needs the form name@example.com"
    elif len(text) > MAX_ADDRESS:
        problem = f"it is longer than {MAX_ADDRESS} characters"
    elif len(local) > MAX_LOCAL_PART or not _LOCAL_PART.fullmatch(local):
        problem = "the part before @ holds characters or dots an address cannot hold"
    else:
        try:
            ascii_domain = domain.encode("idna").decode("ascii").lower()
        except UnicodeError:
            ascii_domain = ""
        labels = ascii_domain.split(".")
        if (
            len(labels) < 2
            or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
            or labels[-1].isdigit()
        ):
            problem = f"{domain!r} is not a domain name (example.com)"
    if problem:
        raise InvalidInput(
            f"{raw!r} is not an email address: {problem}",
            code=ErrorCode.INVALID_EMAIL_ADDRESS,
            detail={"to": raw},
        )
    return f"{local}@{ascii_domain}"


def delivery_for(service: Service, request: EmailRequest | None) -> dict[str, Any]:
    """A new piece's delivery facts: {"email": {to, subject, body}} for an email service,
    with the service's subject and body where none is given; {} for any other service."""
    if service.channel != EMAIL_CHANNEL:
        if request is not None:
            raise InvalidInput(
                f"the service {service.code} sends by {service.channel}, not by email; "
                "choose an email service (GET /v1/services) or leave out the email field",
                code=ErrorCode.EMAIL_NOT_OFFERED,
                detail={"service": service.code, "channel": service.channel},
            )
        return {}
    if request is None:
        raise InvalidInput(
            f"the service {service.code} sends by email: give the recipient's address in "
            'the email field, e.g. {"to": "anna@example.se"}',
            code=ErrorCode.EMAIL_MISSING,
            detail={"service": service.code},
        )
    defaults = service.output.get("email", {})
    subject = request.subject or str(defaults.get("subject", ""))
    body = request.body or str(defaults.get("body", ""))
    return {"email": {"to": normalise_address(request.to), "subject": subject, "body": body}}


def is_email_piece(piece: MailPiece) -> bool:
    """True when the piece leaves by email (its delivery facts say so)."""
    return "email" in piece.delivery


def accept_email_piece(
    *, uow: UnitOfWork, piece: MailPiece, findings: Sequence[Finding], now: datetime
) -> None:
    """Judge an email piece by its preflight findings alone (no postal address, window or
    envelope to check), then accept it and ask for SEND_EMAIL, or fail it with the first
    error. Email pieces are not charged: the price table has no email tariff yet."""
    reasons = list(findings)
    piece.findings = [f.to_dict() for f in reasons]
    first_error = next((f for f in reasons if f.severity is Severity.ERROR), None)
    piece.eligible = first_error is None
    if first_error is not None:
        piece.fail(first_error.code, first_error.message, now)
        return
    queue_send(uow=uow, piece=piece, now=now)


def queue_send(*, uow: UnitOfWork, piece: MailPiece, now: datetime) -> None:
    """Accept a closed email piece and ask for SEND_EMAIL in the same transaction."""
    piece.move_to(PieceState.ACCEPTED, now)
    uow.outbox.add(SEND_EMAIL, {"piece_id": piece.id}, now)


@dataclass(frozen=True)
class _Job:
    """What the send needs, read in a short transaction: the message but its attachment,
    and where the attachment's pages are."""

    email: OutgoingEmail
    source: Path
    first_page: int
    own_pages: int  # the piece's own pages (an email carries its document alone)
    sandbox: bool


def send_email(
    *,
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    channel: EmailSender,
    piece_id: str,
    message_id: int,
) -> None:
    """Send an accepted email piece (a sandbox account's is kept as an .eml file instead)
    and mark it sent; a permanent refusal fails it with the server's answer, a temporary
    one raises RetryableChannelError so the worker tries again later."""
    # Imported here: this module's rules are read by most commands (`postroom lots list`),
    # which have no use for pikepdf's start-up cost.
    from postroom.documents.extract import piece_pdf

    job = _prepare(uow_factory, blobs, clock, channel, piece_id, message_id)
    if job is None:
        return
    # No transaction is open while the file is cut and the SMTP server takes its time.
    attachment = piece_pdf(job.source, first_page=job.first_page, page_count=job.own_pages)
    email = replace(job.email, attachment=attachment)
    try:
        if job.sandbox:  # kept as a file: no SMTP attempt
            channel.keep_in_sandbox(email)
            _finish(uow_factory, clock, piece_id, message_id, failure=None, attempt=None)
            return
        receipt = channel.send(email)
    except PermanentChannelError as exc:
        code = str(getattr(exc, "code", "email_failed"))
        refused = None if job.sandbox else _attempt(clock, channel, piece_id, "refused", str(exc))
        _finish(uow_factory, clock, piece_id, message_id, failure=(code, str(exc)), attempt=refused)
        return
    except RetryableChannelError as exc:
        # Kept on its own: the worker tries again later, and each try is on the record.
        with uow_factory() as uow:
            uow.email_attempts.add(_attempt(clock, channel, piece_id, "deferred", str(exc)))
            uow.commit()
        raise
    sent = _attempt(clock, channel, piece_id, "sent", str(receipt.facts.get("answer", "")))
    _finish(uow_factory, clock, piece_id, message_id, failure=None, attempt=sent)


def _attempt(
    clock: Clock, channel: EmailSender, piece_id: str, outcome: str, answer: str
) -> EmailAttempt:
    return EmailAttempt(piece_id, clock.now(), outcome, answer, channel.server)


def _prepare(
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    channel: EmailSender,
    piece_id: str,
    message_id: int,
) -> _Job | None:
    with uow_factory() as uow:
        now = clock.now()
        piece = uow.pieces.get_by_id(piece_id)
        if (
            piece is None
            or piece.state is not PieceState.ACCEPTED
            or not is_email_piece(piece)
            or uow.stages.has_run(piece_id, STAGE_SEND_EMAIL)
        ):
            uow.outbox.mark_done(message_id, now)
            uow.commit()
            return None
        document = uow.pieces.document_by_id(piece.document_id)
        account = uow.accounts.get(piece.account_id)
        assert document is not None and account is not None
        if piece.external_reference is None:
            # Kept before the first attempt, so every retry sends the same Message-ID.
            piece.external_reference = channel.new_message_id()
            uow.commit()
        facts = piece.delivery["email"]
        email = OutgoingEmail(
            piece_id=piece.id,
            message_id=piece.external_reference,
            to=facts["to"],
            subject=facts.get("subject", ""),
            body=facts.get("body", ""),
            attachment=b"",
            filename=_attachment_name(document, piece),
            date=now,
        )
        return _Job(
            email=email,
            source=blobs.path(document.printable_sha256),
            first_page=piece.first_page,
            own_pages=piece.own_pages,
            sandbox=account.sandbox,
        )


def _finish(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    piece_id: str,
    message_id: int,
    *,
    failure: tuple[str, str] | None,
    attempt: EmailAttempt | None,
) -> None:
    with uow_factory() as uow:
        now = clock.now()
        if attempt is not None:
            uow.email_attempts.add(attempt)
        piece = uow.pieces.get_by_id(piece_id)
        if piece is not None and not uow.stages.has_run(piece_id, STAGE_SEND_EMAIL):
            if piece.state is PieceState.ACCEPTED:
                if failure is None:
                    piece.move_to(PieceState.SENT, now)
                else:
                    piece.fail(*failure, now)
            elif failure is None:
                log.warning(
                    "piece %s was sent as %s but is %s now (changed while it was sent)",
                    piece_id,
                    piece.external_reference,
                    piece.state.value,
                )
            uow.stages.record(piece_id, STAGE_SEND_EMAIL, now)
        uow.outbox.mark_done(message_id, now)
        uow.commit()


def abandon_send(*, uow: UnitOfWork, piece_id: str, reason: str, now: datetime) -> None:
    """SEND_EMAIL failed for a reason retrying cannot fix: fail the piece (inside the
    caller's unit of work) instead of leaving it accepted, where nothing else takes it."""
    piece = uow.pieces.get_by_id(piece_id)
    if piece is not None and piece.state is PieceState.ACCEPTED and is_email_piece(piece):
        piece.fail("internal_error", reason, now)


def _attachment_name(document: Document, piece: MailPiece) -> str:
    """The upload's file name, with the page range when the piece is part of the file."""
    stem = PurePath(document.filename).stem or "letter"
    if piece.first_page == 1 and piece.own_pages == document.page_count:
        return f"{stem}.pdf"
    return f"{stem}-pages-{piece.first_page}-{piece.last_page}.pdf"
