"""The small hierarchy of domain errors; every mount point maps `code` to its own error form."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Every stable code a DomainError carries. Mount points translate these, never the
    message: /v1 answers the value as it is, each dialect maps it to its own code by a table
    in its mapping module (dialects/ekopost/mapping.py CORE_ERRORS). Add a member here before
    raising a new code; renaming one breaks clients."""

    ACCOUNT_NAME_TAKEN = "account_name_taken"
    ADDRESS_LIST_EMPTY = "address_list_empty"
    BATCH_EMPTY = "batch_empty"
    BATCH_FULL = "batch_full"
    BATCH_NOT_OPEN = "batch_not_open"
    BATCH_NOT_READY = "batch_not_ready"
    CHANNEL_NOT_FOR_EVENT = "channel_not_for_event"
    CLOCK_BACKWARDS = "clock_backwards"
    CLOCK_TOO_FAR = "clock_too_far"
    CONFIGURED_FILE_MISSING = "configured_file_missing"
    CONFLICT = "conflict"
    CONTENT_REMOVED = "content_removed"
    COUNTRY_NOT_SERVED = "country_not_served"
    CREDIT_EXCEEDED = "credit_exceeded"
    CSV_COLUMNS_MISSING = "csv_columns_missing"
    DOCUMENT_NOT_READY = "document_not_ready"
    DOCUMENT_PRESENT = "document_present"
    DOCUMENT_REJECTED = "document_rejected"
    DOCUMENT_TOO_LARGE = "document_too_large"
    DOMAIN_ERROR = "domain_error"
    DUPLICATE_REFERENCE = "duplicate_reference"
    EMAIL_ATTACHMENT_NOT_OFFERED = "email_attachment_not_offered"
    EMAIL_MISSING = "email_missing"
    EMAIL_NOT_OFFERED = "email_not_offered"
    EMPTY_FILE = "empty_file"
    ENCRYPTED_PDF = "encrypted_pdf"
    EXPRESS_WITH_OUTPUT_DATE = "express_with_output_date"
    FUI_NOT_REGISTERED = "fui_not_registered"
    FUI_WITHOUT_RECEIVERS = "fui_without_receivers"
    FORBIDDEN = "forbidden"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    ILLEGAL_TRANSITION = "illegal_transition"
    INVALID_ADDRESS = "invalid_address"
    INVALID_CSV = "invalid_csv"
    INVALID_CURSOR = "invalid_cursor"
    INVALID_DOCUMENT = "invalid_document"
    INVALID_EMAIL_ADDRESS = "invalid_email_address"
    INVALID_EMAIL_SUBJECT = "invalid_email_subject"
    INVALID_FEEDBACK_FILE = "invalid_feedback_file"
    INVALID_GRACE_PERIOD = "invalid_grace_period"
    INVALID_HANDOFF_ADDRESS = "invalid_handoff_address"
    INVALID_HANDOFF_REPORT = "invalid_handoff_report"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    INVALID_INPUT = "invalid_input"
    INVALID_IDENTIFIER = "invalid_identifier"
    INVALID_PHONE_NUMBER = "invalid_phone_number"
    INVALID_PARTICIPANT = "invalid_participant"
    INVALID_RECIPIENT = "invalid_recipient"
    INVALID_REFERENCE = "invalid_reference"
    INVALID_SMS_SENDER = "invalid_sms_sender"
    INVALID_WEBHOOK_URL = "invalid_webhook_url"
    INVALID_XML = "invalid_xml"
    LOT_VERIFICATION_FAILED = "lot_verification_failed"
    MISSING_RECIPIENT = "missing_recipient"
    MONTHLY_LIMIT_EXCEEDED = "monthly_limit_exceeded"
    NOT_A_PDF = "not_a_pdf"
    NOT_A_SANDBOX_ACCOUNT = "not_a_sandbox_account"
    NOT_CANCELLABLE = "not_cancellable"
    NOT_ELIGIBLE = "not_eligible"
    NOT_FOUND = "not_found"
    NO_LOOKUP_REGISTER = "no_lookup_register"
    NOT_PRICEABLE = "not_priceable"
    NO_ADDRESS = "no_address"
    NO_DEPOSIT_PROOF = "no_deposit_proof"
    NO_DOCUMENT = "no_document"
    NO_ELIGIBLE_PIECE = "no_eligible_piece"
    NO_EVENTS = "no_events"
    NO_PAGES = "no_pages"
    OPTION_NOT_AVAILABLE = "option_not_available"
    ORDER_EXISTS = "order_exists"
    OUTPUT_DATE_NOT_WORKING_DAY = "output_date_not_working_day"
    OUTPUT_DATE_TOO_EARLY = "output_date_too_early"
    OUTPUT_DATE_TOO_LATE = "output_date_too_late"
    POST_DATE_AFTER_CUT_OFF = "post_date_after_cut_off"
    POST_DATE_IN_PAST = "post_date_in_past"
    PICKUP_POINT_REQUIRED = "pickup_point_required"
    PIECES_NOT_CLOSED = "pieces_not_closed"
    PIECE_NOT_OPEN = "piece_not_open"
    PREFLIGHT_CRASHED = "preflight_crashed"
    PREFLIGHT_MEMORY_EXCEEDED = "preflight_memory_exceeded"
    PREFLIGHT_TIMEOUT = "preflight_timeout"
    PREVIEW_NOT_AVAILABLE = "preview_not_available"
    PRODUCT_CODE_REQUIRED = "product_code_required"
    QUANTITY_TOO_HIGH = "quantity_too_high"
    QUANTITY_TOO_LOW = "quantity_too_low"
    REGISTERED_LINE_TOO_LONG = "registered_line_too_long"
    REGISTERED_POSTAL_CODE = "registered_postal_code"
    RETURN_ADDRESS_INVALID = "return_address_invalid"
    RETURN_ADDRESS_TOO_LONG = "return_address_too_long"
    RETURN_LINE_NOT_PRINTED = "return_line_not_printed"
    SERVICE_NOT_COMPATIBLE = "service_not_compatible"
    SHIPMENT_NOT_REACHABLE = "shipment_not_reachable"
    SHOP_EXISTS = "shop_exists"
    SIGNER_IS_ISSUER = "signer_is_issuer"
    SIGNER_MISSING = "signer_missing"
    SMS_RECIPIENTS_MISSING = "sms_recipients_missing"
    SMS_SENDER_MISSING = "sms_sender_missing"
    SMS_TEXT_EMPTY = "sms_text_empty"
    SMS_TEXT_TOO_LONG = "sms_text_too_long"
    SMS_TOO_MANY_RECIPIENTS = "sms_too_many_recipients"
    SPLIT_PAGES_LEFT_OVER = "split_pages_left_over"
    SPLIT_RANGE_OUTSIDE_DOCUMENT = "split_range_outside_document"
    SPLIT_RULE_INVALID = "split_rule_invalid"
    STATUS_NOT_YOURS = "status_not_yours"
    TOO_HEAVY = "too_heavy"
    TOO_MANY_EVENTS = "too_many_events"
    TOO_MANY_LOGIN_FAILURES = "too_many_login_failures"
    TOO_MANY_RECIPIENTS = "too_many_recipients"
    TOO_MANY_ROWS = "too_many_rows"
    UNAUTHENTICATED = "unauthenticated"
    UNKNOWN_BOX = "unknown_box"
    UNKNOWN_COUNTRY = "unknown_country"
    UNKNOWN_DIALECT = "unknown_dialect"
    UNKNOWN_ENVELOPE = "unknown_envelope"
    UNKNOWN_EVENT_CODE = "unknown_event_code"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    UNKNOWN_KIND = "unknown_kind"
    UNKNOWN_LAYOUT = "unknown_layout"
    UNKNOWN_MAPPING = "unknown_mapping"
    UNKNOWN_OPTION = "unknown_option"
    UNKNOWN_PAPER = "unknown_paper"
    UNKNOWN_PICKUP_POINT = "unknown_pickup_point"
    UNKNOWN_PRODUCT = "unknown_product"
    UNKNOWN_PROFILE = "unknown_profile"
    UNKNOWN_SERVICE = "unknown_service"
    UNKNOWN_SERVICE_FILE = "unknown_service_file"
    UNKNOWN_SHOP = "unknown_shop"
    UNREADABLE_PDF = "unreadable_pdf"
    US10_DOUBLE_WINDOW = "us10_double_window"
    US9X12_DOUBLE_WINDOW = "us9x12_double_window"
    USERNAME_TAKEN = "username_taken"
    VALIDATION_ERROR = "validation_error"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint_disabled"
    WEBHOOK_ENDPOINT_LIMIT = "webhook_endpoint_limit"
    WEBHOOK_URL_FORBIDDEN = "webhook_url_forbidden"
    WINDOW_ZONE_NOT_BLANK = "window_zone_not_blank"
    # Contracts, reply mail, markup, daily limits, EDI (docs/dialects/ekopost.md).
    NOT_IN_CONTRACT = "not_in_contract"
    UNKNOWN_FEATURE = "unknown_feature"
    REPLY_MAIL_NOT_SET_UP = "reply_mail_not_set_up"
    REPLY_TEMPLATE_MISSING = "reply_template_missing"
    REPLY_TEMPLATE_NOT_IN_REPLY_MAIL = "reply_template_not_in_reply_mail"
    DAILY_LARGE_DOCUMENTS = "daily_large_documents"
    MARKUP_PRESENT = "markup_present"
    MARKUP_MISSING = "markup_missing"
    INVALID_MARKUP = "invalid_markup"
    INVALID_EDI_SENDER = "invalid_edi_sender"
    INVALID_EDI_INVITATION = "invalid_edi_invitation"
    NO_EDI_SENDER = "no_edi_sender"
    INVITATION_EXISTS = "invitation_exists"
    WINDOWLESS = "windowless"


class DomainError(Exception):
    """Base of every error a caller can act on; `code` is stable, `message` is for people."""

    code: ErrorCode | str = ErrorCode.DOMAIN_ERROR

    def __init__(
        self, message: str, *, detail: Any = None, code: ErrorCode | str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        if code is not None:
            # A plain string naming a member becomes that member; any other string is kept
            # as it is (a refusal must never turn into a crash) and tests/unit/domain/
            # test_errors.py fails on it.
            self.code = ErrorCode(code) if code in _CODES else code


_CODES = frozenset(ErrorCode)


class NotFound(DomainError):
    """The object does not exist, or belongs to another account (we never say which)."""

    code = ErrorCode.NOT_FOUND


class InvalidInput(DomainError):
    """The request is well-formed but its content is not acceptable."""

    code = ErrorCode.INVALID_INPUT


class InvalidDocument(InvalidInput):
    """The uploaded file is not a document we can produce."""

    code = ErrorCode.INVALID_DOCUMENT


class DocumentTooLarge(InvalidInput):
    """The uploaded file is over a configured size or page limit."""

    code = ErrorCode.DOCUMENT_TOO_LARGE


class Unauthenticated(DomainError):
    """No credentials, or credentials that match nothing active."""

    code = ErrorCode.UNAUTHENTICATED


class TooManyAttempts(DomainError):
    """Too many failed logins for this name or from this address: wait `retry_after` s."""

    code = ErrorCode.TOO_MANY_LOGIN_FAILURES

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, detail={"retry_after": retry_after})
        self.retry_after = retry_after


class ContentRemoved(DomainError):
    """The record is kept, but retention removed the content asked for."""

    code = ErrorCode.CONTENT_REMOVED


class Forbidden(DomainError):
    """The caller is known but may not reach this object (a shop it is not allowed)."""

    code = ErrorCode.FORBIDDEN


class Conflict(DomainError):
    """The object's current state does not allow the operation."""

    code = ErrorCode.CONFLICT


class PaymentRequired(Conflict):
    """The account cannot pay for the order: too little credit, or over its monthly limit."""

    code = ErrorCode.CREDIT_EXCEEDED


class IllegalTransition(Conflict):
    """A state change not in the transition table."""

    code = ErrorCode.ILLEGAL_TRANSITION


class IdempotencyConflict(Conflict):
    """The first request with this Idempotency-Key is still running."""

    code = ErrorCode.IDEMPOTENCY_IN_PROGRESS


class IdempotencyMismatch(InvalidInput):
    """The Idempotency-Key was used before with another request body."""

    code = ErrorCode.IDEMPOTENCY_KEY_REUSED


class Misconfigured(Exception):
    """This process cannot do what was asked with the settings it was started with (a
    stored secret sealed with a key it does not hold): no caller can fix it; an operator
    must (the message says which setting)."""


class RetryableError(Exception):
    """A failure that may pass on a later attempt (busy database, unreachable broker)."""
