"""Click2Mail's words for the core's: the product catalog (job parameters -> a core service
and its options), job states, the seed's return codes, the core-code table, and the
parsers of Click2Mail's own request values (ids, mailingDate, the return address)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from typing import Any

from postroom.domain.errors import ErrorCode
from postroom.domain.model import AddressPlacement, Plex, Recipient
from postroom.domain.schedule import MAX_DAYS_AHEAD
from postroom.domain.states import BatchState

DIALECT = "click2mail"  # the key of its dialect_fields and dialect keys
DOCUMENT, ADDRESS_LIST, JOB = "document", "address_list", "job"  # kinds of dialect keys
PROFILE = "click2mail"  # the preflight profile of its documents (US Letter, #10 window)
ADDRESS_MAPPING_ID = 1  # Click2Mail's standard address mapping ...
ADDRESS_MAPPING = "click2mail_standard"  # ... and the core's column mapping for it
BILLING_TYPE = "User Credit"  # the one billingType offered: the account's credit
# A Click2Mail id is its dialect key plus this: ids of five digits and more, as the seed's
# (12345, 78902, 13331417), never a small number that reads like a status or a count.
ID_BASE = 10_000

# The nine required parameters of POST jobs, in the seed's order.
REQUIRED = (
    "documentClass",
    "layout",
    "productionTime",
    "envelope",
    "color",
    "paperType",
    "printOption",
    "documentId",
    "addressId",
)


class ReturnCode(IntEnum):
    """The seed's Return Code column."""

    SUCCESS = 0
    NOT_FOUND = 1
    ADDRESS_LIST_NOT_FOUND = 3
    NOT_INTERNATIONAL = 4
    NO_PROJECT = 5
    REFUSED = 9


@dataclass(frozen=True)
class Answer:
    """A return code, its description, and the HTTP status the seed lists it under."""

    http: int
    code: ReturnCode
    description: str


# The seed's tables, row by row, by what Postroom calls the situation.
MISSING_PARAMETER = Answer(400, ReturnCode.REFUSED, "One of the required parameters is missing.")
NOT_AUTHORIZED = Answer(400, ReturnCode.REFUSED, "Product not authorized for this customer")
RETURN_NAME_REQUIRED = Answer(
    400,
    ReturnCode.REFUSED,
    "Return address Name OR Return address Organization is required for selected product.",
)
ENDORSEMENT = Answer(400, ReturnCode.REFUSED, "Endorsements not valid for selected product")
RETURN_ADDRESS = Answer(400, ReturnCode.REFUSED, "Return Address not valid for selected product")
ENCLOSURE = Answer(
    400,
    ReturnCode.REFUSED,
    "Custom error related to enclosures: Postroom offers no enclosures with this product",
)
DATE_TOO_FAR = Answer(400, ReturnCode.REFUSED, f"Future date greater than {MAX_DAYS_AHEAD} days")
DATE_NOT_AFTER_TODAY = Answer(
    400, ReturnCode.REFUSED, "Mailing date should be greater than current date."
)
DATE_UNPARSED = Answer(
    500,
    ReturnCode.REFUSED,
    "Could not parse date. Please add mailingDate parameter in form 'yyyymmdd'.",
)
DOCUMENT_NOT_FOUND = Answer(200, ReturnCode.NOT_FOUND, "DocumentId not found")
JOB_DOCUMENT_NOT_FOUND = Answer(200, ReturnCode.NOT_FOUND, "Job DocumentId not found")
JOB_LIST_NOT_FOUND = Answer(200, ReturnCode.NOT_FOUND, "Job Address list Id not found")
LIST_NOT_FOUND = Answer(200, ReturnCode.ADDRESS_LIST_NOT_FOUND, "Address List ID not found")
NOT_INTERNATIONAL = Answer(
    200, ReturnCode.NOT_INTERNATIONAL, "Document Type cannot Mail Internationally"
)
NO_PROJECT = Answer(200, ReturnCode.NO_PROJECT, "Project does not exist")
LIST_NOT_VALID = Answer(200, ReturnCode.REFUSED, "Address list not valid for selected Product")
QUANTITY_REQUIRED = Answer(200, ReturnCode.REFUSED, "Quantity required for selected product")
QUANTITY_CUSTOM = Answer(200, ReturnCode.REFUSED, "Custom error related to quantity")
SERVER_ERROR = Answer(
    500, ReturnCode.REFUSED, "custom error message related to server error: please retry"
)
# Outside the seed's tables (Postroom's choices, docs/dialects/click2mail.md).
UNAUTHENTICATED = Answer(401, ReturnCode.REFUSED, "Authentication required")
NOT_FOUND = Answer(404, ReturnCode.NOT_FOUND, "Not found")
BAD_REQUEST = Answer(400, ReturnCode.REFUSED, "Bad request")
BUSY = Answer(503, ReturnCode.REFUSED, "The server is busy; retry shortly")

# A job's document or list whose key is the caller's but whose object is gone (removed
# through /v1 since): the core's NotFound detail "object" -> the seed's row.
GONE = {"document": JOB_DOCUMENT_NOT_FOUND, "address_list": JOB_LIST_NOT_FOUND}

# Core refusals while creating a job: the seed's row for each (anything else: 400, 9, the
# core's message).
JOB_CORE_ERRORS: dict[ErrorCode, Answer] = {
    ErrorCode.DOCUMENT_REJECTED: JOB_DOCUMENT_NOT_FOUND,
    ErrorCode.ADDRESS_LIST_EMPTY: QUANTITY_REQUIRED,
    ErrorCode.NO_ELIGIBLE_PIECE: LIST_NOT_VALID,
    ErrorCode.WINDOW_ZONE_NOT_BLANK: LIST_NOT_VALID,
    ErrorCode.COUNTRY_NOT_SERVED: NOT_INTERNATIONAL,
    ErrorCode.QUANTITY_TOO_LOW: Answer(
        400, ReturnCode.REFUSED, "Minimum Quantity for selected product is {minimum}"
    ),
    ErrorCode.QUANTITY_TOO_HIGH: Answer(
        400, ReturnCode.REFUSED, "Maximum Quantity for selected product is {maximum}"
    ),
    ErrorCode.OUTPUT_DATE_TOO_EARLY: DATE_NOT_AFTER_TODAY,
    ErrorCode.OUTPUT_DATE_TOO_LATE: DATE_TOO_FAR,
    ErrorCode.RETURN_ADDRESS_INVALID: RETURN_ADDRESS,
}
# Core refusals while submitting a job (the close: price, credit, quantity).
SUBMIT_CORE_ERRORS: dict[ErrorCode, Answer] = {
    ErrorCode.QUANTITY_TOO_LOW: QUANTITY_CUSTOM,
    ErrorCode.QUANTITY_TOO_HIGH: QUANTITY_CUSTOM,
    ErrorCode.CREDIT_EXCEEDED: Answer(402, ReturnCode.REFUSED, "Insufficient credit"),
    ErrorCode.MONTHLY_LIMIT_EXCEEDED: Answer(402, ReturnCode.REFUSED, "Monthly limit reached"),
    ErrorCode.BATCH_NOT_OPEN: Answer(400, ReturnCode.REFUSED, "Job has already been submitted"),
}


@dataclass(frozen=True)
class Product:
    """What a job's product parameters make in the core: a service and its options."""

    service: str  # a core service code
    placement: AddressPlacement
    plex: Plex
    color: bool
    options: dict[str, str]  # core option type -> option code, for the close


# The catalog: each parameter's values and what they are in the core. A combination of
# known values is a product; anything else is "Product not authorized for this customer".
DOCUMENT_CLASSES = {"Letter 8.5 x 11": "us_letter"}
LAYOUTS = {
    "Address on First Page": AddressPlacement.WINDOW,
    "Address on Separate Page": AddressPlacement.ADDRESS_PAGE,
}
PRODUCTION_TIMES = {"Next Day": "EXPRESS", "Standard": "STANDARD"}  # core production_time
# core envelope: a #10 (tri-folded) or a 9 x 12 in flat (unfolded), windows at one place
ENVELOPES = {"#10 Double Window": "US10", "Flat Envelope": "US9X12"}
COLORS = {"Black and White": False, "Full Color": True}
PAPER_TYPES = {"White 24#": "90G"}  # 24 lb bond is 90 g/m²
PRINT_OPTIONS = {"Printing One side": Plex.SIMPLEX, "Printing both sides": Plex.DUPLEX}


def product_of(params: dict[str, str]) -> Product | None:
    """The product the job's parameters name, or None when they name none offered."""
    try:
        service = DOCUMENT_CLASSES[params["documentClass"]]
        placement = LAYOUTS[params["layout"]]
        production = PRODUCTION_TIMES[params["productionTime"]]
        envelope = ENVELOPES[params["envelope"]]
        color = COLORS[params["color"]]
        paper = PAPER_TYPES[params["paperType"]]
        plex = PRINT_OPTIONS[params["printOption"]]
    except KeyError:
        return None
    options = {
        "production_time": production,
        "envelope": envelope,
        "paper": paper,
    }
    return Product(service, placement, plex, color, options)


# The job's status words, by the state of its batch (Click2Mail's job statuses as its
# "My Projects" page names them; see docs/dialects/click2mail.md).
JOB_STATUS: dict[BatchState, str] = {
    BatchState.OPENED: "EDITING",
    BatchState.CLOSED: "PROOF_ACCEPTED",
    BatchState.TRANSFERRED: "IN_PRODUCTION",
    BatchState.COMPLETED: "MAILED",
    BatchState.CANCELLED: "CANCELLED",
    BatchState.FAILED: "FAILED",
}


def number_of(value: str) -> int | None:
    """A decimal integer as given (an id, a mapping id), or None when it is none."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def key_of_id(value: str) -> int | None:
    """The dialect key a Click2Mail id names, or None when it names none."""
    number = number_of(value)
    return number - ID_BASE if number is not None and number > ID_BASE else None


def mailing_date(value: str) -> date | None:
    """The mailingDate parameter ('yyyymmdd'); None when it is not one."""
    text = value.strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


# Return address parameters of a job (Click2Mail's rtn* names; not in the seed).
RETURN_FIELDS = ("rtnName", "rtnOrganization", "rtnaddress1", "rtnaddress2", "rtnCity",
                 "rtnState", "rtnZip")  # fmt: skip


def return_parts(params: dict[str, str]) -> Recipient | bool | None:
    """The job's return address: None when none is given, False when it has neither a name
    nor an organization (the seed's 400 row), else the address to check (US)."""
    given = {k: params.get(k, "").strip() for k in RETURN_FIELDS}
    if not any(given.values()):
        return None
    names = tuple(v for v in (given["rtnName"], given["rtnOrganization"]) if v)
    if not names:
        return False
    return Recipient(
        name_lines=names,
        street_lines=tuple(v for v in (given["rtnaddress1"], given["rtnaddress2"]) if v),
        postal_code=given["rtnZip"],
        city=given["rtnCity"],
        country="US",
        region=given["rtnState"],
    )


def answer_for(table: dict[ErrorCode, Answer], code: Any, detail: Any) -> Answer | None:
    """The row of `table` for a core code, its description filled from the detail."""
    found = table.get(code) if isinstance(code, ErrorCode) else None
    if found is None:
        return None
    values = detail if isinstance(detail, dict) else {}
    try:
        return Answer(found.http, found.code, found.description.format(**values))
    except (KeyError, IndexError):
        return found
