"""Text messages (SMS): accept one (every rule checked before anything is stored), the
SEND_SMS stage that hands each queued recipient to the SMS gateway (a sandbox account's are
recorded, never sent), and the gateway's delivery reports moving each recipient's state."""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import phonenumbers

from postroom.channels.base import PermanentChannelError, Receipt, RetryableChannelError
from postroom.channels.sms_kannel import REPORT_STATES, OutgoingSms
from postroom.domain.catalog import Charge
from postroom.domain.clock import Clock
from postroom.domain.errors import ErrorCode, InvalidInput, NotFound
from postroom.domain.pricing import PriceTable
from postroom.domain.sms import (
    SmsMessage,
    SmsRecipient,
    SmsState,
    checked_count,
    checked_sender,
    checked_text,
    encoding_of,
    sms_price,
    states_before,
)
from postroom.services.catalog import find_service
from postroom.services.order import check_credit
from postroom.services.ports import UnitOfWork, UnitOfWorkFactory
from postroom.services.stages import SEND_SMS, STAGE_SEND_SMS

log = logging.getLogger(__name__)

SMS_CHANNEL = "sms_kannel"
# Recipients handed to the gateway per transaction: what a crash may send twice at most.
SEND_CHUNK = 200
# Recipients one run of the stage hands over before it asks for the next run: 100,000
# recipients are 200 runs, none near the actor's time limit, and other stages get a turn.
RUN_RECIPIENTS = 500
# Copies of a chunk sent at once (the gateway takes concurrent sendsms calls).
SEND_THREADS = 8
# Invalid numbers named in a refusal (a list of 100,000 bad ones is not repeated back).
NAMED_INVALID = 10
SANDBOX_REASON = "sandbox account: recorded, not sent"


class SmsProgress:
    """Where a whole message is, from its recipients' states."""

    QUEUED = "queued"  # some recipients still wait for the gateway
    SENT = "sent"  # every one handed over; some reports still awaited
    COMPLETED = "completed"  # every recipient delivered or failed


def progress_of(counts: Mapping[SmsState, int]) -> str:
    """The message's progress from the count of its recipients in each state."""
    if counts.get(SmsState.QUEUED):
        return SmsProgress.QUEUED
    if counts.get(SmsState.SENT):
        return SmsProgress.SENT
    return SmsProgress.COMPLETED


@dataclass(frozen=True)
class SmsRequest:
    """What a sender asks for: a text from a sender to phone numbers as written."""

    sender: str | None
    text: str
    recipients: Sequence[str]
    client_reference: str | None = None
    dialect_fields: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class SmsSender(Protocol):
    """The SMS channel's per-recipient API (channels/sms_kannel.KannelSmsChannel)."""

    def report_url(self, *, sms_id: str, position: int, token: str) -> str | None: ...
    def send(self, sms: OutgoingSms) -> Receipt: ...


def report_token(secret: str, sms_id: str, position: int) -> str:
    """The token a recipient's delivery-report URL carries: only the gateway, which was
    given the URL, can report on that recipient."""
    message = f"sms-report:{sms_id}:{position}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def phone_number(raw: str, region: str) -> str | None:
    """The number in E.164 (+46701234567) when phonenumbers judges it a valid number (a
    number without +country code is read as one of `region`); None otherwise."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text or len(text) > 40:
        return None
    try:
        parsed = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def checked_numbers(raw: Sequence[str], region: str) -> list[str]:
    """Every recipient in E.164, in order; InvalidInput invalid_phone_number naming the first
    invalid ones (by 1-based position) when any is not a valid number."""
    numbers: list[str] = []
    invalid: list[dict[str, Any]] = []
    bad = 0
    for position, value in enumerate(raw, start=1):
        number = phone_number(value, region)
        if number is None:
            bad += 1
            if len(invalid) < NAMED_INVALID:
                invalid.append({"position": position, "number": str(value)[:40]})
        else:
            numbers.append(number)
    if bad:
        named = ", ".join(f"{i['number']!r} (recipient {i['position']})" for i in invalid)
        raise InvalidInput(
            f"{bad} recipient{'s are' if bad > 1 else ' is'} not a valid phone number: {named}",
            code=ErrorCode.INVALID_PHONE_NUMBER,
            detail={"invalid": invalid, "invalid_count": bad},
        )
    return numbers


def create_sms(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    request: SmsRequest,
    default_region: str,
    prices: PriceTable,
    service_ref: str,
) -> SmsMessage:
    """Check the message (recipient count, sender, text, every number), charge it (parts x
    recipients x the price table's `sms_part`; PaymentRequired credit_exceeded or
    monthly_limit_exceeded when the account cannot pay, the month as the service
    `service_ref`'s timezone counts it) and store it with its recipients queued and
    SEND_SMS asked for, in one transaction; nothing is stored or charged when a rule is
    broken."""
    checked_count(len(request.recipients))
    sender = checked_sender(request.sender)
    encoding = checked_text(request.text)
    numbers = checked_numbers(request.recipients, default_region)
    with uow:
        now = clock.now()
        account = uow.catalog.lock_account(account_id)
        if account is None:
            raise NotFound("no such account")
        price = sms_price(encoding, len(numbers), prices.sms_part)
        check_credit(uow, account, price, now, find_service(uow, account, service_ref).timezone)
        message = SmsMessage(
            id=str(uuid.uuid4()),
            account_id=account_id,
            sender=sender,
            text=request.text,
            recipient_count=len(numbers),
            sandbox=account.sandbox,
            created_at=now,
            client_reference=request.client_reference,
            dialect_fields=dict(request.dialect_fields),
            price_minor=price,
        )
        uow.sms.add(message, numbers, now)
        uow.catalog.add(Charge(account_id, None, price, now, sms_id=message.id))
        account.credit_minor -= price
        uow.outbox.add(SEND_SMS, {"sms_id": message.id}, now)
        uow.commit()
    return message


def sms_summary(
    *, uow: UnitOfWork, account_id: str, sms_id: str
) -> tuple[SmsMessage, dict[SmsState, int]]:
    """The account's message and how many of its recipients are in each state."""
    with uow:
        message = uow.sms.get(account_id, _uuid(sms_id))
        if message is None:
            raise NotFound(f"no text message {sms_id}")
        return message, uow.sms.state_counts(message.id)


def list_recipients(
    *, uow: UnitOfWork, account_id: str, sms_id: str, after: int, limit: int
) -> list[SmsRecipient]:
    """The account's message's recipients after a position, in the sender's order."""
    with uow:
        message = uow.sms.get(account_id, _uuid(sms_id))
        if message is None:
            raise NotFound(f"no text message {sms_id}")
        return uow.sms.recipients(message.id, after=after, limit=limit)


def send_sms(
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    channel: SmsSender,
    secret: str,
    sms_id: str,
    message_id: int,
) -> None:
    """Hand the message's queued recipients to the gateway, a chunk per transaction, at most
    RUN_RECIPIENTS in one run (then the next run is asked for, so no run nears the actor's
    time limit); a sandbox account's are marked sent without a connection. A refusal fails
    that recipient; a temporary failure raises RetryableChannelError after keeping what
    went, and the retry takes the recipients still queued."""
    with uow_factory() as uow:
        message = uow.sms.get(None, sms_id)
        if message is None or uow.stages.has_run(sms_id, STAGE_SEND_SMS):
            uow.outbox.mark_done(message_id, clock.now())
            uow.commit()
            return
    alphabet = encoding_of(message.text).alphabet
    after, handled = 0, 0
    while handled < RUN_RECIPIENTS:
        with uow_factory() as uow:
            chunk = uow.sms.recipients(
                sms_id, after=after, limit=SEND_CHUNK, states=(SmsState.QUEUED,)
            )
        if not chunk:
            break
        after = chunk[-1].position
        handled += len(chunk)
        if message.sandbox:
            _record(uow_factory, clock, sms_id, [r.position for r in chunk], {}, SANDBOX_REASON)
            continue
        outgoing = [
            OutgoingSms(
                sms_id=sms_id,
                position=r.position,
                to=r.number,
                sender=message.sender,
                text=message.text,
                alphabet=alphabet,
                report_url=channel.report_url(
                    sms_id=sms_id,
                    position=r.position,
                    token=report_token(secret, sms_id, r.position),
                ),
            )
            for r in chunk
        ]
        sent, refused, retry = _hand_over(channel, outgoing)
        _record(uow_factory, clock, sms_id, sent, refused, None)
        if retry is not None:
            raise retry
    with uow_factory() as uow:
        now = clock.now()
        more = bool(uow.sms.recipients(sms_id, after=after, limit=1, states=(SmsState.QUEUED,)))
        if more:
            # The next run goes on after this one's recipients, in the same transaction
            # that ends this one.
            uow.outbox.add(SEND_SMS, {"sms_id": sms_id}, now)
        elif not uow.stages.has_run(sms_id, STAGE_SEND_SMS):
            uow.stages.record(sms_id, STAGE_SEND_SMS, now)
        uow.outbox.mark_done(message_id, now)
        uow.commit()
    log.info("sms %s: %d recipients handled%s", sms_id, handled, ", more to go" if more else "")


def _hand_over(
    channel: SmsSender, outgoing: Sequence[OutgoingSms]
) -> tuple[list[int], dict[int, str], RetryableChannelError | None]:
    """Send a chunk's copies, SEND_THREADS at a time: the positions the gateway took, those
    it refused (with why), and the first temporary failure (the copies after it that were
    not taken stay queued)."""
    sent: list[int] = []
    refused: dict[int, str] = {}
    retry: RetryableChannelError | None = None

    def one(sms: OutgoingSms) -> tuple[int, str | None, RetryableChannelError | None]:
        try:
            channel.send(sms)
        except PermanentChannelError as exc:
            return sms.position, str(exc)[:500], None
        except RetryableChannelError as exc:
            return sms.position, None, exc
        return sms.position, None, None

    with ThreadPoolExecutor(max_workers=SEND_THREADS, thread_name_prefix="sms-send") as pool:
        for position, why, failure in pool.map(one, outgoing):
            if failure is not None:
                retry = retry or failure
            elif why is not None:
                refused[position] = why
            else:
                sent.append(position)
    return sent, refused, retry


def _record(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    sms_id: str,
    sent: Sequence[int],
    refused: Mapping[int, str],
    reason: str | None,
) -> None:
    """Note what the gateway took (a report may have moved a recipient on already: only
    queued ones become sent) and what it refused."""
    with uow_factory() as uow:
        now = clock.now()
        uow.sms.move(
            sms_id, list(sent), SmsState.SENT, only_from=(SmsState.QUEUED,), now=now, reason=reason
        )
        for position, why in refused.items():
            queued = (SmsState.QUEUED,)
            uow.sms.move(sms_id, [position], SmsState.FAILED, only_from=queued, now=now, reason=why)
        uow.commit()


def state_of_report(report_type: int) -> SmsState | None:
    """The state a gateway's delivery report of this type means (None: no change)."""
    return REPORT_STATES.get(report_type)


def record_report(
    *,
    uow: UnitOfWork,
    clock: Clock,
    secret: str,
    sms_id: str,
    position: int,
    token: str,
    state: SmsState | None,
    reason: str | None = None,
) -> bool:
    """Apply a delivery report to one recipient: NotFound unless the token is the one its
    report URL was given; True when the recipient moved (a report for a state it has
    passed, or one that means no change, moves nothing)."""
    expected = report_token(secret, sms_id, position)
    if not hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace")):
        raise NotFound("no such text message recipient")
    with uow:
        recipient = uow.sms.recipient(sms_id, position)
        if recipient is None:
            raise NotFound("no such text message recipient")
        if state is None:
            return False
        moved = uow.sms.move(
            sms_id,
            [position],
            state,
            only_from=states_before(state),
            now=clock.now(),
            reason=reason,
        )
        uow.commit()
    return moved > 0


def abandon_send(*, uow: UnitOfWork, sms_id: str, reason: str, now: datetime) -> None:
    """SEND_SMS failed for a reason retrying cannot fix: fail the recipients still queued
    (inside the caller's unit of work) instead of leaving them waiting for nothing."""
    while True:
        queued = uow.sms.recipients(sms_id, limit=5000, states=(SmsState.QUEUED,))
        if not queued:
            return
        uow.sms.move(
            sms_id,
            [r.position for r in queued],
            SmsState.FAILED,
            only_from=(SmsState.QUEUED,),
            now=now,
            reason=reason[:500],
        )


def _uuid(value: str) -> str:
    """An id as stored; anything that is not a UUID names nothing."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound(f"no text message {value}") from None
