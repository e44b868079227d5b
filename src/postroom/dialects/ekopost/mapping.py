"""Ekopost's words for the core's states and error codes, as tables (docs/dialects/ekopost.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from urllib.parse import quote

from postroom.domain.address_completion import GivenAddress
from postroom.domain.errors import ErrorCode
from postroom.domain.model import AddressPlacement, MailPiece, Plex, Postage
from postroom.domain.sms import SmsState
from postroom.domain.states import BatchState, PieceState

# The key of an envelope's Ekopost-only fields in the core piece's `dialect_fields`.
DIALECT = "ekopost"


def envelope_fields(piece: MailPiece) -> dict[str, Any]:
    """What the core keeps for Ekopost only: name, address as sent, pu, kb, consignor_contact,
    agent, and per content (`documents`) its return_address and address."""
    fields: dict[str, Any] = piece.dialect_fields.get(DIALECT, {})
    return fields


def content_fields(piece: MailPiece, document_id: str) -> dict[str, Any]:
    """What the core keeps for Ekopost about one content of an envelope: `return_address`
    and the return `address` object as sent (services.envelopes.attach_document)."""
    documents: dict[str, Any] = envelope_fields(piece).get("documents") or {}
    fields: dict[str, Any] = documents.get(document_id) or {}
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

# A registered envelope's `tracking.trackingUrl`: PostNord's public track-and-trace page for
# its S10 number (Ekopost's registered letters, "REK", are PostNord's product; the page takes
# the number as `shipmentId`). See docs/dialects/ekopost.md, "tracking".
TRACKING_URL = "https://www.postnord.se/vara-verktyg/spara-brev-paket-och-pall?shipmentId={}"


def tracking_url(parcel_no: str) -> str:
    """The public tracking page of a registered envelope's parcel number."""
    return TRACKING_URL.format(quote(parcel_no, safe=""))


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
# An Ekopost envelope state -> the core states it stands for (what a listing filters on).
ENVELOPE_STATES_BY_NAME: dict[str, frozenset[PieceState]] = {
    name: frozenset(core for core, named in ENVELOPE_STATES.items() if named == name)
    for name in dict.fromkeys(ENVELOPE_STATES.values())
}


# Ekopost's error codes (the seed's "Error code values" table), by what they mean.
class EkopostCode(StrEnum):
    """An Ekopost error_code."""

    BAD_CREDENTIALS = "0"
    # Not in the seed's table: its reachable checks answer 404 without saying with what.
    NOT_REACHABLE = "404"
    NO_DOCUMENT = "100A"
    NO_MARKUP = "100B"
    CAMPAIGN_EMPTY = "101"
    ENVELOPES_NOT_CLOSED = "102"
    ONE_DOCUMENT_ONLY = "103"
    DOCUMENT_NOT_PDF = "104"
    NO_POSTAL_ADDRESS = "105"
    CAMPAIGN_NOT_FOUND = "106"
    DOCUMENT_UNREADABLE = "107"
    ATTACHMENT_NOT_PDF = "108"
    MARKUP_NOT_XML = "109"
    ONE_MARKUP_ONLY = "110"
    ENVELOPE_NOT_FOUND = "111"
    COUNTRY_NOT_ISO = "112"
    CREDIT_LIMIT = "113"
    SEARCH_NULL = "114"
    SEARCH_INVALID = "115"
    TIMESPAN_INVALID = "116"
    DOCUMENT_SIZE = "117"
    ATTACHMENT_SIZE = "118"
    MISSING_RECIPIENT = "119"
    MISSING_EMAIL = "120"
    CAMPAIGN_FULL = "121"
    ONE_SIGNER_NEEDED = "122"
    EMAIL_INVALID = "123"
    FUI_NOT_REGISTERED = "124"
    FUI_NO_APPLICANTS = "125"
    NOT_UNIQUE = "126"
    INVALID_DATA = "127"
    SMS_WRONG_MIME = "128"
    EMPTY_DATA = "129"
    SMS_NOT_BASE64 = "130"
    SMS_INVALID_PHONE = "131"
    SMS_NO_RECIPIENTS = "132"
    SMS_NO_FROM_NAME = "133"
    SMS_TOO_MANY_RECIPIENTS = "134"
    ADDRESS_VALIDATION = "135"
    INVALID_CONTRACT_DETAILS = "136"
    CONTENT_NOT_FOUND = "137"
    RECIPIENT_IS_ISSUER = "138"
    NO_VALID_VALUER = "139"
    NO_PROTECTED_MAILING = "140"
    INVALID_CONTRACT = "141"
    REPLY_MAIL_TEMPLATE_MISSING = "142"
    DAILY_LARGE_DOCUMENTS = "143"
    # Postroom's own, for what the seed's table has no code for.
    BUSY = "busy"
    INTERNAL = "500"


ERROR_MESSAGES: dict[EkopostCode, str] = {
    EkopostCode.BAD_CREDENTIALS: "Invalid basic authentication token.",
    EkopostCode.NOT_REACHABLE: "The recipient is not reachable.",
    EkopostCode.NO_DOCUMENT: (
        "The envelope must contain atleast one (1) document before being closed."
    ),
    EkopostCode.CAMPAIGN_EMPTY: (
        "A campaign must contain atleast one (1) envelope before being closed."
    ),
    EkopostCode.ENVELOPES_NOT_CLOSED: (
        "All envelopes inside a campaign must be closed before closing the campaign."
    ),
    EkopostCode.ONE_DOCUMENT_ONLY: "An envelope may only contain one (1) document.",
    EkopostCode.DOCUMENT_NOT_PDF: (
        "An envelope may only contain content with mime of 'application/pdf'."
    ),
    EkopostCode.NO_POSTAL_ADDRESS: (
        "Could not extract or identify a postal address in the envelopes main documents."
    ),
    EkopostCode.CAMPAIGN_NOT_FOUND: "Campaign was not found.",
    EkopostCode.DOCUMENT_UNREADABLE: "Could not open the main document content or find any pages.",
    EkopostCode.ATTACHMENT_NOT_PDF: (
        "An envelope may only contain content of type 'attachment' with mime set to "
        "'application/pdf'."
    ),
    EkopostCode.NO_MARKUP: (
        "The envelope must contain atleast one (1) markup before being closed."
    ),
    EkopostCode.MARKUP_NOT_XML: (
        "An envelope may only contain content of type 'markup' with mime set to 'application/xml'."
    ),
    EkopostCode.ONE_MARKUP_ONLY: "An envelope may only contain one (1) markup.",
    EkopostCode.ENVELOPE_NOT_FOUND: "Envelope was not found.",
    EkopostCode.COUNTRY_NOT_ISO: (
        "Specified country is not a valid ISO 3166-1 encoded alpha-2 code."
    ),
    EkopostCode.CREDIT_LIMIT: (
        "You have exceeded your credit limit for the month, please contact our customer "
        "service to adjust your credit limit."
    ),
    EkopostCode.SEARCH_NULL: "The searchparams is null.",
    EkopostCode.SEARCH_INVALID: "The searchparams is invalid.",
    EkopostCode.TIMESPAN_INVALID: "The timespan is invalid.",
    EkopostCode.DOCUMENT_SIZE: "The document size is invalid.",
    EkopostCode.ATTACHMENT_SIZE: "The attachment size is invalid.",
    EkopostCode.MISSING_RECIPIENT: "Missing recipient.",
    EkopostCode.MISSING_EMAIL: "Missing email",
    EkopostCode.CAMPAIGN_FULL: "Can not create more envelopes in campaign",
    EkopostCode.ONE_SIGNER_NEEDED: "One signer needed",
    EkopostCode.EMAIL_INVALID: "Email address contains invalid characters.",
    EkopostCode.FUI_NOT_REGISTERED: "FUI-number is not registrered",
    EkopostCode.FUI_NO_APPLICANTS: "No applicants registrered for this FUI",
    EkopostCode.NOT_UNIQUE: "Not unique",
    EkopostCode.INVALID_DATA: "Invalid data",
    EkopostCode.SMS_WRONG_MIME: "Wrong mime for sms. Mime should be 'text/plain'",
    EkopostCode.EMPTY_DATA: "Empty data field",
    EkopostCode.SMS_NOT_BASE64: "Sms text message not encoded into base64",
    EkopostCode.SMS_INVALID_PHONE: "Sms recipients contains invalid phone number.",
    EkopostCode.SMS_NO_RECIPIENTS: "Sms does not contain any recipients",
    EkopostCode.SMS_NO_FROM_NAME: 'Sms "FromName" is null or empty.',
    EkopostCode.SMS_TOO_MANY_RECIPIENTS: "Sms too many recipients (100 000 is the max limit)",
    # The seed: 'Address validation error, error contains more details such as "Name too
    # long (max 35 characters)"': the message, then the details (in developer_message).
    EkopostCode.ADDRESS_VALIDATION: "Address validation error",
    # The seed: "Invalid contract, error contains more details.": details in developer_message.
    EkopostCode.INVALID_CONTRACT_DETAILS: "Invalid contract",
    EkopostCode.CONTENT_NOT_FOUND: "Document content not found on the specified envelope",
    EkopostCode.RECIPIENT_IS_ISSUER: "Recipient can not be the same as the issuer",
    EkopostCode.NO_VALID_VALUER: "Recipient must have a valid valuer",
    EkopostCode.NO_PROTECTED_MAILING: (
        "No setup for protected mailing, contact hejsan@ekopost.se to get started with "
        "protected mailing."
    ),
    EkopostCode.INVALID_CONTRACT: "Invalid contract",
    EkopostCode.REPLY_MAIL_TEMPLATE_MISSING: "Reply mail template missing",
    EkopostCode.DAILY_LARGE_DOCUMENTS: "More than 50 documents over 8Mb sent current day",
    EkopostCode.BUSY: "Server busy.",
    EkopostCode.INTERNAL: "Internal error.",
}

# The core's error codes (domain/errors.ErrorCode) -> Ekopost's. Anything not listed that is
# the caller's fault is INVALID_DATA (127); a NotFound is the campaign's (106) unless the
# route says whose it is.
CORE_ERRORS: dict[ErrorCode, EkopostCode] = {
    ErrorCode.UNAUTHENTICATED: EkopostCode.BAD_CREDENTIALS,
    ErrorCode.TOO_MANY_LOGIN_FAILURES: EkopostCode.BAD_CREDENTIALS,
    ErrorCode.BATCH_NOT_READY: EkopostCode.ENVELOPES_NOT_CLOSED,
    ErrorCode.CREDIT_EXCEEDED: EkopostCode.CREDIT_LIMIT,
    ErrorCode.MONTHLY_LIMIT_EXCEEDED: EkopostCode.CREDIT_LIMIT,
    ErrorCode.UNKNOWN_COUNTRY: EkopostCode.COUNTRY_NOT_ISO,
    ErrorCode.NOT_A_PDF: EkopostCode.DOCUMENT_NOT_PDF,
    ErrorCode.EMPTY_FILE: EkopostCode.DOCUMENT_UNREADABLE,
    ErrorCode.NO_PAGES: EkopostCode.DOCUMENT_UNREADABLE,
    ErrorCode.UNREADABLE_PDF: EkopostCode.DOCUMENT_UNREADABLE,
    ErrorCode.ENCRYPTED_PDF: EkopostCode.DOCUMENT_UNREADABLE,
    ErrorCode.DOCUMENT_TOO_LARGE: EkopostCode.DOCUMENT_SIZE,
    ErrorCode.DOCUMENT_REJECTED: EkopostCode.DOCUMENT_UNREADABLE,
    ErrorCode.BATCH_EMPTY: EkopostCode.CAMPAIGN_EMPTY,
    ErrorCode.PIECES_NOT_CLOSED: EkopostCode.ENVELOPES_NOT_CLOSED,
    ErrorCode.NO_DOCUMENT: EkopostCode.NO_DOCUMENT,
    ErrorCode.DOCUMENT_PRESENT: EkopostCode.ONE_DOCUMENT_ONLY,
    ErrorCode.NO_ADDRESS: EkopostCode.NO_POSTAL_ADDRESS,
    ErrorCode.DUPLICATE_REFERENCE: EkopostCode.NOT_UNIQUE,
    ErrorCode.MISSING_RECIPIENT: EkopostCode.MISSING_RECIPIENT,
    ErrorCode.INVALID_RECIPIENT: EkopostCode.INVALID_DATA,
    ErrorCode.TOO_MANY_RECIPIENTS: EkopostCode.INVALID_DATA,
    ErrorCode.INVALID_EMAIL_ADDRESS: EkopostCode.EMAIL_INVALID,
    ErrorCode.INVALID_EMAIL_SUBJECT: EkopostCode.INVALID_DATA,
    ErrorCode.REGISTERED_LINE_TOO_LONG: EkopostCode.ADDRESS_VALIDATION,
    ErrorCode.REGISTERED_POSTAL_CODE: EkopostCode.ADDRESS_VALIDATION,
    ErrorCode.INVALID_ADDRESS: EkopostCode.ADDRESS_VALIDATION,
    # Hand-off address objects (dialects/ekopost/handoff.py, services/handoff.py): a signer
    # missing, the issuer signing again, an identifier that is not one, the e-bank sender.
    ErrorCode.SIGNER_MISSING: EkopostCode.ONE_SIGNER_NEEDED,
    ErrorCode.SIGNER_IS_ISSUER: EkopostCode.RECIPIENT_IS_ISSUER,
    ErrorCode.INVALID_IDENTIFIER: EkopostCode.NO_VALID_VALUER,
    ErrorCode.FUI_NOT_REGISTERED: EkopostCode.FUI_NOT_REGISTERED,
    ErrorCode.FUI_WITHOUT_RECEIVERS: EkopostCode.FUI_NO_APPLICANTS,
    # Text messages (docs/sms.md): the core's rules under the seed's SMS codes. A text too
    # long, or a from-name a phone cannot show, has no code of its own: 127.
    ErrorCode.SMS_RECIPIENTS_MISSING: EkopostCode.SMS_NO_RECIPIENTS,
    ErrorCode.SMS_TOO_MANY_RECIPIENTS: EkopostCode.SMS_TOO_MANY_RECIPIENTS,
    ErrorCode.SMS_SENDER_MISSING: EkopostCode.SMS_NO_FROM_NAME,
    ErrorCode.INVALID_PHONE_NUMBER: EkopostCode.SMS_INVALID_PHONE,
    ErrorCode.SMS_TEXT_EMPTY: EkopostCode.EMPTY_DATA,
    ErrorCode.SMS_TEXT_TOO_LONG: EkopostCode.INVALID_DATA,
    ErrorCode.INVALID_SMS_SENDER: EkopostCode.INVALID_DATA,
    # Contracts, reply mail, the daily allowance of large documents, a full campaign.
    ErrorCode.NOT_IN_CONTRACT: EkopostCode.INVALID_CONTRACT_DETAILS,
    ErrorCode.REPLY_MAIL_NOT_SET_UP: EkopostCode.INVALID_CONTRACT,
    ErrorCode.REPLY_TEMPLATE_MISSING: EkopostCode.REPLY_MAIL_TEMPLATE_MISSING,
    ErrorCode.DAILY_LARGE_DOCUMENTS: EkopostCode.DAILY_LARGE_DOCUMENTS,
    ErrorCode.BATCH_FULL: EkopostCode.CAMPAIGN_FULL,
    # Markup: one per envelope (110), required by a markup campaign (100B); not well
    # formed is invalid_markup (127).
    ErrorCode.MARKUP_PRESENT: EkopostCode.ONE_MARKUP_ONLY,
    ErrorCode.MARKUP_MISSING: EkopostCode.NO_MARKUP,
    # EDI: a field that is wrong is 127 (its name in developer_message).
    ErrorCode.INVALID_EDI_SENDER: EkopostCode.INVALID_DATA,
}

# A markup content's mime (error 109 otherwise).
MARKUP_MIME = "application/xml"

# The SMS's mime (error 128 otherwise), and a recipient's state as the poll shows it: the
# seed names no SMS states, so the core's words are kept (docs/dialects/ekopost.md, SMS).
SMS_MIME = "text/plain"
SMS_RECIPIENT_STATES: dict[SmsState, str] = {
    SmsState.QUEUED: "queued",
    SmsState.SENT: "sent",
    SmsState.DELIVERED: "delivered",
    SmsState.FAILED: "failed",
}


class EkopostError(Exception):
    """A refusal in Ekopost's own terms: its error code and HTTP status (errors.translate
    answers it); for what the core refuses, raise nothing here and let CORE_ERRORS map it."""

    def __init__(
        self, code: EkopostCode, developer_message: str = "", *, status: int = 400
    ) -> None:
        super().__init__(developer_message or code.value)
        self.code = code
        self.status = status
        self.developer_message = developer_message


# --- address objects ------------------------------------------------------------------------

# The country of a postal address that names none: Ekopost's home market.
DEFAULT_COUNTRY = "SE"


def _lines(address: dict[str, Any], key: str) -> tuple[str, ...]:
    value = address.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EkopostError(EkopostCode.INVALID_DATA, f"address.{key} must be an array of strings")
    return tuple(v.strip() for v in value if v.strip())


def _text(address: dict[str, Any], key: str) -> str:
    value = address.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise EkopostError(EkopostCode.INVALID_DATA, f"address.{key} must be a string")
    return str(value).strip()


def address_type(address: dict[str, Any] | None) -> str:
    """The object's `$type`; a null address, or one without `$type`, is postal."""
    if address is None:
        return "postal"
    kind = address.get("$type") or "postal"
    return str(kind).strip().lower()


# `GET .../envelopes/failed?address_type=`: the seed's words ("Valid here are ebank, einbox,
# einboxKivra and email") -> the address objects' `$type` they name. Another value is taken
# as a `$type` itself (postal, einbox_kivra), lower case.
FAILED_ADDRESS_TYPES: dict[str, str] = {
    "ebank": "ebank",
    "einbox": "einbox",
    "einboxkivra": "einbox_kivra",
    "email": "email",
}


def failed_address_type(value: str) -> str:
    """The `$type` an `address_type` query value names (compared without case)."""
    word = value.strip().lower()
    return FAILED_ADDRESS_TYPES.get(word, word)


# E-inbox address types: delivered to the e-inbox when the account's reachability registry
# knows the recipient, printed (address from the document's window) when not.
EINBOX_TYPES = frozenset({"einbox", "einbox_kivra"})


def einbox_recipient(address: dict[str, Any]) -> str:
    """The social security number of an e-inbox address; EkopostError 119 without one."""
    recipient = _text(address, "recipient")
    if not recipient:
        raise EkopostError(EkopostCode.MISSING_RECIPIENT, "an einbox address needs its recipient")
    return recipient


# The email address object: the seed's table names its address field `subject` twice (a
# garble); Postroom reads `email`, or `recipient` as the other address objects name theirs.
EMAIL_TYPE = "email"
EMAIL_KEYS = ("email", "recipient")


def email_parts(address: dict[str, Any]) -> tuple[str, str | None]:
    """(address, subject or None) of an email address object; EkopostError 120 without an
    address. The address itself is checked by the core (123 when it is not one)."""
    to = next((_text(address, key) for key in EMAIL_KEYS if _text(address, key)), "")
    if not to:
        raise EkopostError(EkopostCode.MISSING_EMAIL, "an email address object needs its email")
    subject = _text(address, "subject")
    return to, subject or None


def wants_coverpage(address: dict[str, Any] | None) -> bool:
    """True when a postal address object asks for a cover page (`use_coverpage`)."""
    if address is None or address_type(address) != "postal":
        return False
    flag = address.get("use_coverpage") or False
    if not isinstance(flag, bool):
        raise EkopostError(EkopostCode.INVALID_DATA, "address.use_coverpage must be true or false")
    return flag


def address_placement(address: dict[str, Any] | None) -> AddressPlacement | None:
    """The core's placement for a postal address object: `use_coverpage` is an address page
    (a "flyleaf page ... containing the address details"); without it Ekopost requires the
    address "embedded inside the document", which is the core's as_printed, left unset here
    (see docs/dialects/ekopost.md: a given address is not yet compared with the window)."""
    return AddressPlacement.ADDRESS_PAGE if wants_coverpage(address) else None


def postal_parts(address: dict[str, Any] | None) -> GivenAddress | None:
    """The postal address as given (each part possibly empty; an empty country is SE), or
    None for a null address (it is then read from the document's window). EkopostError for
    another `$type` or a malformed field; the core decides what a partial address becomes
    (services.envelopes.recipient_of) and checks the rest (registered mail's limits too)."""
    kind = address_type(address)
    if kind == "protected":
        raise EkopostError(
            EkopostCode.NO_PROTECTED_MAILING, "protected mailing is not set up in Postroom"
        )
    if kind != "postal":
        raise EkopostError(
            EkopostCode.INVALID_DATA, f"address type {kind!r} is not offered by Postroom yet"
        )
    if address is None:
        return None
    return GivenAddress(
        names=_lines(address, "name"),
        streets=_lines(address, "street"),
        postal_code=_text(address, "postal_code"),
        city=_text(address, "city"),
        country=_text(address, "country") or DEFAULT_COUNTRY,
    )
