"""Registered mail's limits on the recipient's address, the same for every way in: a
registered letter's address is copied onto the carrier's receipt form, whose fields are
short and whose postal code is the Swedish five digits (PostNord's Rek, as Ekopost states
the limits in its postal address object)."""

from __future__ import annotations

from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.findings import Finding, Severity
from postroom.domain.model import Postage, Recipient

REGISTERED_LINE_LENGTH = 35  # characters in a name or street line
REGISTERED_POSTAL_CODE_DIGITS = 5  # digits in the postal code, spaces aside


def check_registered_address(recipient: Recipient | None, postage: Postage) -> None:
    """Refuse a registered letter's address that breaks the limits (InvalidInput
    registered_line_too_long / registered_postal_code); any other postage passes."""
    if postage is not Postage.REGISTERED or recipient is None:
        return
    lines = (*recipient.name_lines, *recipient.street_lines)
    long_lines = [line for line in lines if len(line) > REGISTERED_LINE_LENGTH]
    if long_lines:
        raise InvalidInput(
            f"a registered letter's name and street lines hold at most "
            f"{REGISTERED_LINE_LENGTH} characters; {long_lines[0]!r} has {len(long_lines[0])}",
            code=ErrorCode.REGISTERED_LINE_TOO_LONG,
            detail={"line": long_lines[0], "max_length": REGISTERED_LINE_LENGTH},
        )
    digits = recipient.postal_code.replace(" ", "")
    if not (digits.isdigit() and len(digits) == REGISTERED_POSTAL_CODE_DIGITS):
        raise InvalidInput(
            f"a registered letter's postal code is {REGISTERED_POSTAL_CODE_DIGITS} digits, "
            f"not {recipient.postal_code!r}",
            code=ErrorCode.REGISTERED_POSTAL_CODE,
            detail={"postal_code": recipient.postal_code},
        )


def registered_address_findings(recipient: Recipient | None, postage: Postage) -> list[Finding]:
    """The same limits as findings, for an address read from the window after the letter
    was taken: an error finding when it breaks them, none otherwise."""
    try:
        check_registered_address(recipient, postage)
    except InvalidInput as exc:
        return [Finding(str(exc.code), Severity.ERROR, exc.message)]
    return []
