"""Digital recipients an account knows it can reach (e-inbox, e-bank, e-invoice, Mastercard
e-invoice): the registry that decides whether a digital piece goes digital or on paper."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from postroom.domain.errors import ErrorCode, InvalidInput

MAX_RECIPIENT_LENGTH = 100
MAX_PER_CALL = 1000


class ReachKind(StrEnum):
    """The kinds of digital address a recipient can be reachable at."""

    EINBOX = "einbox"
    EBANK = "ebank"
    EINVOICE = "einvoice"
    MASTERCARD = "mastercard"


def normalise_recipient(recipient: str) -> str:
    """The form recipients are kept and compared in: trimmed, inner spaces and dashes
    dropped (19121212-1212 and 191212121212 are one person), upper case."""
    return "".join(recipient.split()).replace("-", "").upper()


def checked_recipients(recipients: Iterable[str]) -> list[str]:
    """The recipients normalised, without repeats; InvalidInput when one is empty or too
    long, or there are none or too many."""
    found: list[str] = []
    for raw in recipients:
        value = normalise_recipient(raw)
        if not value or len(value) > MAX_RECIPIENT_LENGTH:
            raise InvalidInput(
                f"a recipient must have 1 to {MAX_RECIPIENT_LENGTH} characters: {raw!r}",
                code=ErrorCode.INVALID_RECIPIENT,
            )
        if value not in found:
            found.append(value)
    if not found:
        raise InvalidInput("give at least one recipient", code=ErrorCode.MISSING_RECIPIENT)
    if len(found) > MAX_PER_CALL:
        raise InvalidInput(
            f"at most {MAX_PER_CALL} recipients at a time", code=ErrorCode.TOO_MANY_RECIPIENTS
        )
    return found
