"""Ekopost's words for the core's states and error codes, as tables (docs/dialects/ekopost.md)."""

from __future__ import annotations

from typing import Any

from postroom.domain.model import MailPiece, Plex, Postage
from postroom.domain.states import BatchState, PieceState

# The key of an envelope's Ekopost-only fields in the core piece's `dialect_fields`.
DIALECT = "ekopost"


def envelope_fields(piece: MailPiece) -> dict[str, Any]:
    """What the core keeps for Ekopost only: name, address as sent, pu, kb, consignor_contact,
    agent, return_address."""
    fields: dict[str, Any] = piece.dialect_fields.get(DIALECT, {})
    return fields


# Ekopost's postage and plex words for the core's options. "protected" has no core
# counterpart (error 140, as for an account without protected mailing).
POSTAGE_NAMES: dict[Postage, str] = {
    Postage.PRIORITY: "priority",
    Postage.ECONOMY: "economy",
    Postage.REGISTERED: "rek",
}
POSTAGE_BY_NAME: dict[str, Postage] = {v: k for k, v in POSTAGE_NAMES.items()}
PLEX_NAMES: dict[Plex, str] = {Plex.SIMPLEX: "simplex", Plex.DUPLEX: "duplex"}
PLEX_BY_NAME: dict[str, Plex] = {v: k for k, v in PLEX_NAMES.items()}

# A campaign is a core batch; Ekopost names the same six states.
CAMPAIGN_STATES: dict[BatchState, str] = {
    BatchState.OPENED: "opened",
    BatchState.CLOSED: "closed",
    BatchState.TRANSFERRED: "transferred",
    BatchState.COMPLETED: "completed",
    BatchState.CANCELLED: "cancelled",
    BatchState.FAILED: "failed",
}

# An envelope is a core mail piece. Ekopost has fewer states: the core's checking and lot
# steps are still "closed" to an Ekopost client (not yet at the production facility), and
# what becomes of a piece after it is posted (or sent by email) is still "posted".
ENVELOPE_STATES: dict[PieceState, str] = {
    PieceState.OPENED: "opened",
    PieceState.CLOSED: "closed",
    PieceState.ACCEPTED: "closed",
    PieceState.ALLOCATED: "closed",
    PieceState.TRANSFERRED: "transferred",
    PieceState.PRINTED: "printed",
    PieceState.POSTED: "posted",
    PieceState.SENT: "posted",
    PieceState.DELIVERED: "posted",
    PieceState.RETURNED: "posted",
    PieceState.CANCELLED: "cancelled",
    PieceState.FAILED: "failed",
}

CAMPAIGN_STATE_BY_NAME: dict[str, BatchState] = {v: k for k, v in CAMPAIGN_STATES.items()}

# Ekopost's error codes and their messages, as the seed's "Error code values" table words them.
ERROR_MESSAGES: dict[str, str] = {
    "0": "Invalid basic authentication token.",
    # Not in the seed's table: its reachable checks answer 404 without saying with what.
    "404": "The recipient is not reachable.",
    "100A": "The envelope must contain atleast one (1) document before being closed.",
    "101": "A campaign must contain atleast one (1) envelope before being closed.",
    "102": "All envelopes inside a campaign must be closed before closing the campaign.",
    "103": "An envelope may only contain one (1) document.",
    "104": "An envelope may only contain content with mime of 'application/pdf'.",
    "105": "Could not extract or identify a postal address in the envelopes main documents.",
    "106": "Campaign was not found.",
    "107": "Could not open the main document content or find any pages.",
    "108": (
        "An envelope may only contain content of type 'attachment' with mime set to "
        "'application/pdf'."
    ),
    "109": (
        "An envelope may only contain content of type 'markup' with mime set to 'application/xml'."
    ),
    "111": "Envelope was not found.",
    "112": "Specified country is not a valid ISO 3166-1 encoded alpha-2 code.",
    "113": (
        "You have exceeded your credit limit for the month, please contact our customer "
        "service to adjust your credit limit."
    ),
    "114": "The searchparams is null.",
    "115": "The searchparams is invalid.",
    "116": "The timespan is invalid.",
    "117": "The document size is invalid.",
    "118": "The attachment size is invalid.",
    "119": "Missing recipient.",
    "120": "Missing email",
    "123": "Email address contains invalid characters.",
    "126": "Not unique",
    "127": "Invalid data",
    "129": "Empty data field",
    "135": "Address validation error",
    "140": (
        "No setup for protected mailing, contact hejsan@ekopost.se to get started with "
        "protected mailing."
    ),
}

# Core error codes (domain/errors.py and the services' `code=`) -> Ekopost error code.
# Anything not listed here that is the caller's fault is 127 "Invalid data".
CORE_ERRORS: dict[str, str] = {
    "unauthenticated": "0",
    "batch_not_ready": "102",
    "credit_exceeded": "113",
    "monthly_limit_exceeded": "113",
    "unknown_country": "112",
    "not_a_pdf": "104",
    "empty_file": "107",
    "no_pages": "107",
    "unreadable_pdf": "107",
    "encrypted_pdf": "107",
    "document_too_large": "117",
    "document_rejected": "107",
    "batch_empty": "101",
    "pieces_not_closed": "102",
    "no_document": "100A",
    "document_present": "103",
    "no_address": "105",
    "duplicate_reference": "126",
    "missing_recipient": "119",
    "invalid_recipient": "127",
    "too_many_recipients": "127",
    "invalid_email_address": "123",
}


# --- address objects ------------------------------------------------------------------------

# Registered mail (rek) limits, as the seed's postal address object states them.
REK_LINE_LENGTH = 35
REK_POSTAL_CODE_DIGITS = 5
# The country of a postal address that names none: Ekopost's home market.
DEFAULT_COUNTRY = "SE"


class AddressRefused(Exception):
    """An address object Postroom cannot take, with the Ekopost error code to answer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _lines(address: dict[str, Any], key: str) -> tuple[str, ...]:
    value = address.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AddressRefused("127", f"address.{key} must be an array of strings")
    return tuple(v.strip() for v in value if v.strip())


def _text(address: dict[str, Any], key: str) -> str:
    value = address.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise AddressRefused("127", f"address.{key} must be a string")
    return str(value).strip()


def address_type(address: dict[str, Any] | None) -> str:
    """The object's `$type`; a null address, or one without `$type`, is postal."""
    if address is None:
        return "postal"
    kind = address.get("$type") or "postal"
    return str(kind).strip().lower()


# E-inbox address types: delivered to the e-inbox when the account's reachability registry
# knows the recipient, printed (address from the document's window) when not.
EINBOX_TYPES = frozenset({"einbox", "einbox_kivra"})


def einbox_recipient(address: dict[str, Any]) -> str:
    """The social security number of an e-inbox address; AddressRefused 119 without one."""
    recipient = _text(address, "recipient")
    if not recipient:
        raise AddressRefused("119", "an einbox address needs its recipient")
    return recipient


# The email address object: the seed's table names its address field `subject` twice (a
# garble); Postroom reads `email`, or `recipient` as the other address objects name theirs.
EMAIL_TYPE = "email"
EMAIL_KEYS = ("email", "recipient")
MAX_SUBJECT = 200  # as the native API's email subject


def email_parts(address: dict[str, Any]) -> tuple[str, str | None]:
    """(address, subject or None) of an email address object; AddressRefused 120 without an
    address. The address itself is checked by the core (123 when it is not one)."""
    to = next((_text(address, key) for key in EMAIL_KEYS if _text(address, key)), "")
    if not to:
        raise AddressRefused("120", "an email address object needs its email")
    subject = _text(address, "subject")
    if len(subject) > MAX_SUBJECT:
        raise AddressRefused("127", f"address.subject is longer than {MAX_SUBJECT} characters")
    if any(ch < " " for ch in subject):
        # A mail header holds one line of text: no line breaks, NULs or other controls.
        raise AddressRefused("127", "address.subject must be one line without control characters")
    return to, subject or None


def wants_coverpage(address: dict[str, Any] | None) -> bool:
    """True when a postal address object asks for a cover page (`use_coverpage`)."""
    if address is None or address_type(address) != "postal":
        return False
    flag = address.get("use_coverpage") or False
    if not isinstance(flag, bool):
        raise AddressRefused("127", "address.use_coverpage must be true or false")
    return flag


def postal_parts(
    address: dict[str, Any] | None, *, registered: bool
) -> tuple[tuple[str, ...], tuple[str, ...], str, str, str] | None:
    """(name lines, street lines, postal code, city, country as given) of a postal address,
    or None when it holds no address (it is then read from the document's window).
    AddressRefused for another `$type`, a malformed field or the rek limits (135)."""
    kind = address_type(address)
    if kind == "protected":
        raise AddressRefused("140", "protected mailing is not set up in Postroom")
    if kind != "postal":
        raise AddressRefused("127", f"address type {kind!r} is not offered by Postroom yet")
    if address is None:
        return None
    names, streets = _lines(address, "name"), _lines(address, "street")
    postal_code, city = _text(address, "postal_code"), _text(address, "city")
    country = _text(address, "country")
    if not (names or streets or postal_code or city):
        return None
    if not (names and streets and postal_code and city):
        raise AddressRefused(
            "127", "a postal address needs name, street, postal_code and city (or none of them)"
        )
    if registered:
        long_lines = [line for line in (*names, *streets) if len(line) > REK_LINE_LENGTH]
        if long_lines:
            raise AddressRefused(
                "135", f"Name too long (max {REK_LINE_LENGTH} characters): {long_lines[0]!r}"
            )
        digits = postal_code.replace(" ", "")
        if not (digits.isdigit() and len(digits) == REK_POSTAL_CODE_DIGITS):
            raise AddressRefused(
                "135", f"postal_code must be {REK_POSTAL_CODE_DIGITS} digits for rek"
            )
    return names, streets, postal_code, city, country or DEFAULT_COUNTRY
