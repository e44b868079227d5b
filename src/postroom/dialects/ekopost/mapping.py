"""Ekopost's words for the core's states and error codes, as tables (docs/dialects/ekopost.md)."""

from __future__ import annotations

from postroom.domain.states import BatchState, PieceState

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
    "100A": "The envelope must contain atleast one (1) document before being closed.",
    "101": "A campaign must contain atleast one (1) envelope before being closed.",
    "102": "All envelopes inside a campaign must be closed before closing the campaign.",
    "103": "An envelope may only contain one (1) document.",
    "104": "An envelope may only contain content with mime of 'application/pdf'.",
    "105": "Could not extract or identify a postal address in the envelopes main documents.",
    "106": "Campaign was not found.",
    "107": "Could not open the main document content or find any pages.",
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
    "126": "Not unique",
    "127": "Invalid data",
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
}
