"""Address placement: where a letter's recipient is printed so that it shows through the
envelope, which placement a letter goes with, and the findings that stop one that cannot."""

from __future__ import annotations

from collections.abc import Sequence

from postroom.domain.errors import ErrorCode
from postroom.domain.findings import Finding, Severity
from postroom.domain.model import AddressPlacement

WINDOW_ZONE_NOT_BLANK = "window_zone_not_blank"
WINDOW_ADDRESS_MISMATCH = "window_address_mismatch"
ADDRESS_DOES_NOT_FIT = "address_does_not_fit"
RETURN_LINE_NOT_PRINTED = ErrorCode.RETURN_LINE_NOT_PRINTED.value
# What reading the window says about the window itself. Both matter when the address is
# read from it; when Postroom prints a given recipient there, only blankness does, and a
# given recipient printed as is by the document is judged by whether it matches instead.
WINDOW_HAS_NO_TEXT = "window_has_no_text"
CLEAR_ZONE_NOT_CLEAR = "clear_zone_not_clear"
WINDOW_CODES = frozenset({WINDOW_HAS_NO_TEXT, CLEAR_ZONE_NOT_CLEAR})
QUOTED = 160  # characters of the window's text a finding quotes


def resolve_placement(
    chosen: AddressPlacement | None,
    *,
    recipient_given: bool,
    address_page_only: bool,
    window_blank: bool | None,
) -> AddressPlacement:
    """The placement a letter goes with. A service or envelope that prints an address page
    (a window-less envelope, a service with an address page) always does; otherwise the
    sender's choice holds. Without one, a given recipient is printed into a blank window
    and read as printed from a window that holds anything; a letter without a recipient
    carries its address (the window is read)."""
    if address_page_only:
        return AddressPlacement.ADDRESS_PAGE
    if chosen is not None:
        return chosen
    if recipient_given and window_blank:
        return AddressPlacement.WINDOW
    return AddressPlacement.AS_PRINTED


def placement_problem(
    chosen: AddressPlacement | None, *, recipient_given: bool, address_page_only: bool
) -> tuple[ErrorCode, str] | None:
    """(code, sentence) when a letter's chosen placement cannot work whatever its document
    holds, so it is refused at submission; None when it can."""
    if chosen is AddressPlacement.WINDOW and not recipient_given:
        return (
            ErrorCode.MISSING_RECIPIENT,
            "address_placement window prints the recipient sent with the letter into the "
            "window: send a recipient, or leave address_placement out to have the address "
            "read from the window",
        )
    if address_page_only and chosen not in (None, AddressPlacement.ADDRESS_PAGE):
        return (
            ErrorCode.OPTION_NOT_AVAILABLE,
            "this service prints every letter's address on an address page of its own: "
            "choose address_placement address_page or leave it out",
        )
    return None


def _quote(lines: Sequence[str]) -> str:
    text = " / ".join(line for line in lines if line.strip())
    return text if len(text) <= QUOTED else text[: QUOTED - 1] + "…"


def window_not_blank(lines: Sequence[str]) -> Finding:
    """The window zone (or its clear margin) holds something, so the address cannot be
    printed there; `lines` is the text read in it, if any."""
    held = f"it holds {_quote(lines)!r}" if lines else "something is drawn there"
    return Finding(
        WINDOW_ZONE_NOT_BLANK,
        Severity.ERROR,
        f"the address is to be printed into the envelope window, but the window zone and its "
        f"margin are not blank ({held}): leave them empty, choose as_printed if the document "
        "carries the address, or address_page",
        page=1,
    )


def return_line_not_printed() -> Finding:
    """The account's return line is left out: where it goes above the window's address
    zone, the document already has something drawn (a warning: the letter still goes)."""
    return Finding(
        RETURN_LINE_NOT_PRINTED,
        Severity.WARNING,
        "the account's return address is not printed on this letter: the document has "
        "something drawn where it goes, directly above the window's address zone, and "
        "Postroom never prints over a document's content; leave that line empty to have it "
        "printed",
        page=1,
    )


def window_mismatch(window_lines: Sequence[str], given_lines: Sequence[str]) -> Finding:
    """The window shows another address than the recipient sent with the letter."""
    shown = repr(_quote(window_lines)) if window_lines else "no readable text"
    return Finding(
        WINDOW_ADDRESS_MISMATCH,
        Severity.ERROR,
        f"the envelope window shows {shown}, not the recipient sent with the letter "
        f"({_quote(given_lines)!r}): correct the recipient or the document, or choose "
        "address_page to print the recipient on a page of its own",
        page=1,
    )


def address_does_not_fit(reason: str) -> Finding:
    """The address Postroom would print does not fit the window zone."""
    return Finding(
        ADDRESS_DOES_NOT_FIT,
        Severity.ERROR,
        f"the address does not fit the envelope window: {reason}",
    )
