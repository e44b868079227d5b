"""Text messages (SMS): one text from one sender to many phone numbers, each recipient with
its own delivery state, and the rules a message must meet before anything is sent."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from postroom.domain.errors import ErrorCode, InvalidInput

# At most this many recipients in one message (Ekopost's limit, error 134).
MAX_RECIPIENTS = 100_000
# A text may be sent as at most this many concatenated parts.
MAX_PARTS = 10
# Characters in one part, and in each part of a concatenated text (the user-data header of
# a concatenated part takes 6 octets: 7 septets or 3 UCS-2 characters), 3GPP TS 23.040.
GSM_SINGLE, GSM_CONCATENATED = 160, 153
UCS2_SINGLE, UCS2_CONCATENATED = 70, 67
# The sender shown on the phone: an alphanumeric name of at most 11 characters, or a
# number of at most 15 digits (3GPP TS 23.040's originating address).
MAX_ALPHANUMERIC_SENDER = 11
MAX_NUMERIC_SENDER = 15

# GSM 03.38 (3GPP TS 23.038) default alphabet, and its extension table, whose characters
# take two septets (an escape, then the character).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
SENDER_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .-_&+"
)


class SmsState(StrEnum):
    """Where one recipient's copy of a message is."""

    QUEUED = "queued"  # accepted, waiting for the worker to hand it to the gateway
    SENT = "sent"  # the gateway (or the operator's SMSC behind it) took it
    DELIVERED = "delivered"  # the phone received it (the operator's delivery report)
    FAILED = "failed"  # refused or undeliverable, for good


# A delivery report may overtake the worker's own note that the gateway took the message:
# queued goes straight to delivered or failed then. Delivered and failed are final.
SMS_TRANSITIONS: dict[SmsState, frozenset[SmsState]] = {
    SmsState.QUEUED: frozenset({SmsState.SENT, SmsState.DELIVERED, SmsState.FAILED}),
    SmsState.SENT: frozenset({SmsState.DELIVERED, SmsState.FAILED}),
    SmsState.DELIVERED: frozenset(),
    SmsState.FAILED: frozenset(),
}


def states_before(target: SmsState) -> tuple[SmsState, ...]:
    """The states a recipient may move to `target` from."""
    return tuple(s for s, nexts in SMS_TRANSITIONS.items() if target in nexts)


@dataclass(frozen=True)
class Encoding:
    """How a text travels: GSM 7-bit or UCS-2, in how many parts."""

    alphabet: str  # "gsm" or "ucs2"
    units: int  # septets (GSM) or UTF-16 code units (UCS-2)
    parts: int


def encoding_of(text: str) -> Encoding:
    """The alphabet a text needs and the parts it takes."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text):
        units = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        single, each = GSM_SINGLE, GSM_CONCATENATED
        alphabet = "gsm"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, each = UCS2_SINGLE, UCS2_CONCATENATED
        alphabet = "ucs2"
    parts = 1 if units <= single else math.ceil(units / each)
    return Encoding(alphabet=alphabet, units=units, parts=parts)


def sms_price(encoding: Encoding, recipients: int, per_part: int) -> int:
    """What a message costs: each recipient's copy is `encoding.parts` messages for the
    operator, each charged `per_part` (the price table's `sms_part`)."""
    return encoding.parts * recipients * per_part


def checked_text(text: str) -> Encoding:
    """The text's encoding; InvalidInput when it is empty or takes more than MAX_PARTS."""
    if not text.strip():
        raise InvalidInput("the text is empty", code=ErrorCode.SMS_TEXT_EMPTY)
    encoding = encoding_of(text)
    if encoding.parts > MAX_PARTS:
        gsm = encoding.alphabet == "gsm"
        most = MAX_PARTS * (GSM_CONCATENATED if gsm else UCS2_CONCATENATED)
        kind = "characters of the GSM alphabet" if gsm else "characters when one is outside it"
        raise InvalidInput(
            f"the text takes {encoding.parts} parts; at most {MAX_PARTS} are sent ({most} {kind})",
            code=ErrorCode.SMS_TEXT_TOO_LONG,
            detail={"parts": encoding.parts, "alphabet": encoding.alphabet},
        )
    return encoding


def checked_sender(sender: str | None) -> str:
    """The sender as sent: a name of 1-11 letters, digits, spaces or .-_&+, or a number of
    at most 15 digits (a leading + allowed); InvalidInput otherwise."""
    value = (sender or "").strip()
    if not value:
        raise InvalidInput("the sender (from-name) is missing", code=ErrorCode.SMS_SENDER_MISSING)
    digits = value.removeprefix("+")
    if digits.isdigit() and digits.isascii():
        if len(digits) <= MAX_NUMERIC_SENDER:
            return value
    elif len(value) <= MAX_ALPHANUMERIC_SENDER and all(ch in SENDER_CHARACTERS for ch in value):
        return value
    raise InvalidInput(
        f"the sender {value!r} is neither a name of 1 to {MAX_ALPHANUMERIC_SENDER} letters, "
        f"digits, spaces or .-_&+ nor a number of at most {MAX_NUMERIC_SENDER} digits",
        code=ErrorCode.INVALID_SMS_SENDER,
        detail={"sender": value},
    )


def checked_count(count: int) -> None:
    """InvalidInput when a message has no recipient or more than MAX_RECIPIENTS."""
    if count == 0:
        raise InvalidInput("the message has no recipient", code=ErrorCode.SMS_RECIPIENTS_MISSING)
    if count > MAX_RECIPIENTS:
        raise InvalidInput(
            f"the message has {count:,} recipients; at most {MAX_RECIPIENTS:,} are allowed",
            code=ErrorCode.SMS_TOO_MANY_RECIPIENTS,
            detail={"recipients": count, "max": MAX_RECIPIENTS},
        )


@dataclass
class SmsMessage:
    """One text to many recipients, as accepted."""

    id: str
    account_id: str
    sender: str
    text: str
    recipient_count: int
    sandbox: bool
    created_at: datetime
    client_reference: str | None = None
    dialect_fields: dict[str, Any] = field(default_factory=dict)
    price_minor: int = 0  # charged when it was accepted (the account's currency)


@dataclass(frozen=True)
class SmsRecipient:
    """One recipient of a message: its number (E.164) and where its copy is."""

    position: int  # 1-based, in the order the sender listed them
    number: str
    state: SmsState
    state_changed_at: datetime
    reason: str | None = None
