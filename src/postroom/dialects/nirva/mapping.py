"""Nirva's words for the core's: its error codes, the pack-group, delivery and job statuses,
eligibility reasons, box types, tracking metadata names, and the names of its multipart
parts. Tables only; docs/dialects/nirva.md shows them."""

from __future__ import annotations

import re
from enum import StrEnum

from postroom.domain.catalog import BoxKind, Option, Service
from postroom.domain.errors import ErrorCode
from postroom.domain.model import PieceOptions, Plex
from postroom.domain.states import PieceState
from postroom.domain.tracking import ProofKind

DIALECT = "nirva"  # the key of the fields Nirva keeps on each piece (`dialect_fields`)


class NirvaCode(StrEnum):
    """The dialect's error codes (the seed names none: chosen, see the docs page)."""

    AUTHENTICATION_FAILED = "AUTHENTICATION_FAILED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    INVALID_PARAMETERS = "INVALID_PARAMETERS"
    SERVICE_NOT_FOUND = "SERVICE_NOT_FOUND"
    FILES_NOT_COMPATIBLE = "FILES_NOT_COMPATIBLE"  # a box the service does not have
    SERVICE_FILE_NOT_FOUND = "SERVICE_FILE_NOT_FOUND"
    SERVICE_FILE_MISSING = "SERVICE_FILE_MISSING"
    NOT_FOUND = "NOT_FOUND"
    CHANNEL_NAME_NOT_LABEL = "CHANNEL_NAME_NOT_LABEL"
    UNKNOWN_CHANNEL_LABEL = "UNKNOWN_CHANNEL_LABEL"
    UNKNOWN_OUTPUT_FILE = "UNKNOWN_OUTPUT_FILE"
    UNKNOWN_OPTION_VALUE = "UNKNOWN_OPTION_VALUE"
    OPTION_NOT_AVAILABLE = "OPTION_NOT_AVAILABLE"
    EXPECTED_POST_DATE_AFTER_CUT_OFF = "EXPECTED_POST_DATE_AFTER_CUT_OFF"
    EXPECTED_POST_DATE_IN_PAST = "EXPECTED_POST_DATE_IN_PAST"
    EXPECTED_POST_DATE_INVALID = "EXPECTED_POST_DATE_INVALID"
    PACK_GROUP_NOT_ELIGIBLE = "PACK_GROUP_NOT_ELIGIBLE"
    NOTHING_TO_DELIVER = "NOTHING_TO_DELIVER"
    PACK_GROUP_NOT_EDITABLE = "PACK_GROUP_NOT_EDITABLE"
    JOB_IN_ERROR = "JOB_IN_ERROR"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    CREDIT_EXCEEDED = "CREDIT_EXCEEDED"
    CONFLICT = "CONFLICT"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    SERVER_BUSY = "SERVER_BUSY"
    INTERNAL_ERROR = "INTERNAL_ERROR"

    @property
    def status(self) -> int:
        """The HTTP status the code is answered with."""
        return STATUS.get(self, 400)


STATUS: dict[NirvaCode, int] = {
    NirvaCode.AUTHENTICATION_FAILED: 401,
    NirvaCode.TOO_MANY_ATTEMPTS: 429,
    NirvaCode.NOT_FOUND: 404,
    NirvaCode.PACK_GROUP_NOT_EDITABLE: 409,
    NirvaCode.CONFLICT: 409,
    NirvaCode.CREDIT_EXCEEDED: 402,
    NirvaCode.FILE_TOO_LARGE: 413,
    NirvaCode.METHOD_NOT_ALLOWED: 405,
    NirvaCode.SERVER_BUSY: 503,
    NirvaCode.INTERNAL_ERROR: 500,
}


class NirvaError(Exception):
    """A refusal of the request itself, answered as Nirva's error object."""

    def __init__(self, code: NirvaCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# The core's refusals in Nirva's words (unlisted: INVALID_PARAMETERS, 400).
CORE_ERRORS: dict[ErrorCode, NirvaCode] = {
    ErrorCode.UNKNOWN_SERVICE: NirvaCode.SERVICE_NOT_FOUND,
    ErrorCode.UNKNOWN_BOX: NirvaCode.FILES_NOT_COMPATIBLE,
    ErrorCode.NO_DOCUMENT: NirvaCode.FILES_NOT_COMPATIBLE,
    ErrorCode.UNKNOWN_SERVICE_FILE: NirvaCode.SERVICE_FILE_NOT_FOUND,
    ErrorCode.CONFIGURED_FILE_MISSING: NirvaCode.SERVICE_FILE_MISSING,
    ErrorCode.UNKNOWN_OPTION: NirvaCode.UNKNOWN_OPTION_VALUE,
    ErrorCode.OPTION_NOT_AVAILABLE: NirvaCode.OPTION_NOT_AVAILABLE,
    ErrorCode.POST_DATE_AFTER_CUT_OFF: NirvaCode.EXPECTED_POST_DATE_AFTER_CUT_OFF,
    ErrorCode.POST_DATE_IN_PAST: NirvaCode.EXPECTED_POST_DATE_IN_PAST,
    ErrorCode.OUTPUT_DATE_TOO_EARLY: NirvaCode.EXPECTED_POST_DATE_IN_PAST,
    ErrorCode.OUTPUT_DATE_TOO_LATE: NirvaCode.EXPECTED_POST_DATE_INVALID,
    ErrorCode.OUTPUT_DATE_NOT_WORKING_DAY: NirvaCode.EXPECTED_POST_DATE_INVALID,
    ErrorCode.NOT_ELIGIBLE: NirvaCode.PACK_GROUP_NOT_ELIGIBLE,
    ErrorCode.NO_ELIGIBLE_PIECE: NirvaCode.NOTHING_TO_DELIVER,
    ErrorCode.BATCH_NOT_OPEN: NirvaCode.NOTHING_TO_DELIVER,
    ErrorCode.PIECE_NOT_OPEN: NirvaCode.PACK_GROUP_NOT_EDITABLE,
    ErrorCode.DOCUMENT_REJECTED: NirvaCode.JOB_IN_ERROR,
    ErrorCode.DOCUMENT_TOO_LARGE: NirvaCode.FILE_TOO_LARGE,
    ErrorCode.CREDIT_EXCEEDED: NirvaCode.CREDIT_EXCEEDED,
    ErrorCode.MONTHLY_LIMIT_EXCEEDED: NirvaCode.CREDIT_EXCEEDED,
    ErrorCode.CONFLICT: NirvaCode.CONFLICT,
}


class JobStatus(StrEnum):
    """A job's status."""

    PACK_GROUP_CREATED = "PACK_GROUP_CREATED"
    PROCESSING_ERROR = "PROCESSING_ERROR"


class PackGroupStatus(StrEnum):
    """A pack group's status: its eligibility until it is in a delivery, then the
    delivery's progress."""

    ELIGIBLE = "ELIGIBLE"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    IN_DELIVERY = "IN_DELIVERY"
    OUTPUTTED = "OUTPUTTED"
    CANCELLED = "CANCELLED"
    ERROR = "ERROR"


# A pack group's status by its piece's state (an opened piece: by its eligibility).
PACK_GROUP_STATES: dict[PieceState, PackGroupStatus] = {
    PieceState.CLOSED: PackGroupStatus.IN_DELIVERY,
    PieceState.ACCEPTED: PackGroupStatus.IN_DELIVERY,
    PieceState.ALLOCATED: PackGroupStatus.IN_DELIVERY,
    PieceState.TRANSFERRED: PackGroupStatus.OUTPUTTED,
    PieceState.PRINTED: PackGroupStatus.OUTPUTTED,
    PieceState.POSTED: PackGroupStatus.OUTPUTTED,
    PieceState.SENT: PackGroupStatus.OUTPUTTED,
    PieceState.DELIVERED: PackGroupStatus.OUTPUTTED,
    PieceState.RETURNED: PackGroupStatus.OUTPUTTED,
    PieceState.CANCELLED: PackGroupStatus.CANCELLED,
    PieceState.FAILED: PackGroupStatus.ERROR,
}


class DeliveryStatus(StrEnum):
    """A delivery command's status: READY until production has its files, then OUTPUTTED."""

    READY = "READY"
    OUTPUTTED = "OUTPUTTED"
    CANCELLED = "CANCELLED"
    ERROR = "ERROR"


DELIVERY_STATES: dict[PieceState, DeliveryStatus] = {
    PieceState.OPENED: DeliveryStatus.READY,
    PieceState.CLOSED: DeliveryStatus.READY,
    PieceState.ACCEPTED: DeliveryStatus.READY,
    PieceState.ALLOCATED: DeliveryStatus.READY,
    PieceState.TRANSFERRED: DeliveryStatus.OUTPUTTED,
    PieceState.PRINTED: DeliveryStatus.OUTPUTTED,
    PieceState.POSTED: DeliveryStatus.OUTPUTTED,
    PieceState.SENT: DeliveryStatus.OUTPUTTED,
    PieceState.DELIVERED: DeliveryStatus.OUTPUTTED,
    PieceState.RETURNED: DeliveryStatus.OUTPUTTED,
    PieceState.CANCELLED: DeliveryStatus.CANCELLED,
    PieceState.FAILED: DeliveryStatus.ERROR,
}
# A delivery of several pack groups shows the least advanced of them.
DELIVERY_ORDER = (
    DeliveryStatus.ERROR,
    DeliveryStatus.READY,
    DeliveryStatus.OUTPUTTED,
    DeliveryStatus.CANCELLED,
)

# The core's finding codes as Nirva eligibility reasons (unlisted: the code in capitals).
ELIGIBILITY_REASONS: dict[str, str] = {
    "address_missing": "MISSING_POSTAL_ADDRESS",
    "country_not_served": "COUNTRY_NOT_SERVED",
    "too_many_sheets": "TOO_MANY_SHEETS",
    "window_has_no_text": "MISSING_POSTAL_ADDRESS",
    "clear_zone_not_clear": "ADDRESS_ZONE_NOT_CLEAR",
    "postal_code_invalid": "INVALID_POSTAL_ADDRESS",
    "address_incomplete": "INVALID_POSTAL_ADDRESS",
}

# The box kinds as Nirva's box types.
BOX_TYPES: dict[str, str] = {
    BoxKind.MAIN.value: "exv.MainBox",
    BoxKind.ANNEX.value: "exv.AnnexBox",
    BoxKind.CONFIGURED.value: "exv.ConfiguredFileBox",
}

# The raw value holding a pack group's recipient, as the seed's packRequirements names it.
POSTAL_ADDRESS_RECIPIENT = "POSTAL_ADDRESS_RECIPIENT"
RAW_VALUE_TYPE = "exv.Value"

# Tracking metadata: the registered number (a short value) and the proofs (files).
TRACKING = "TRACKING"
METADATA_KIND = "TRACKING"
PROOF_NAMES: dict[str, ProofKind] = {kind.value: kind for kind in ProofKind}

# The multipart part names of POST jobs: file_main<BoxID>_<n> and
# serviceFile__file_<BoxID>_<n> (a configured file named by its SERVICE_FILE_ID).
FILE_PART = re.compile(r"file_main(?P<box>.+)_(?P<index>[0-9]{1,4})")
SERVICE_FILE_PART = re.compile(r"serviceFile__file_(?P<box>.+)_(?P<index>[0-9]{1,4})")
PARAMETERS_PART = "parameters"


# A pack group's production options as option values (print_mode, color, envelope, postage).
PRINT_MODES: dict[Plex, str] = {Plex.SIMPLEX: "1SIDE", Plex.DUPLEX: "2SIDE"}


def option_values(options: PieceOptions) -> dict[str, str]:
    """The options a pack group is produced with, as option type -> option value."""
    return {
        "print_mode": PRINT_MODES[options.plex],
        "color": "COLOR" if options.color else "BW",
        "envelope": options.envelope,
        "postage": options.postage.value.upper(),
    }


def channel_label(service: Service) -> str:
    return str(service.output.get("label") or service.channel)


def output_files(service: Service) -> list[str]:
    return [str(f) for f in service.output.get("files") or ["MAIN"]]


def channel_options(
    service: Service, sent: dict[str, dict[str, list[str]]], known: list[Option]
) -> tuple[dict[str, str], list[str]]:
    """serviceChannelOptions as the core's {option type: option id}, and the ids sent."""
    label = channel_label(service)
    by_id = {o.id: o for o in known}
    chosen: dict[str, str] = {}
    ids: list[str] = []
    for channel, files in sent.items():
        if channel != label:
            if channel == service.channel:
                raise NirvaError(
                    NirvaCode.CHANNEL_NAME_NOT_LABEL,
                    f"{channel!r} is the channel's name; key serviceChannelOptions by the "
                    f"channel's label {label!r} (properties.channels.label)",
                )
            raise NirvaError(
                NirvaCode.UNKNOWN_CHANNEL_LABEL,
                f"the service has no channel labelled {channel[:100]!r}; its channel is {label!r}",
            )
        for file_name, values in files.items():
            if file_name not in output_files(service):
                raise NirvaError(
                    NirvaCode.UNKNOWN_OUTPUT_FILE,
                    f"the channel has no output file {file_name[:100]!r}; "
                    f"it has {', '.join(output_files(service))}",
                )
            for value in values:
                option = by_id.get(value)
                if option is None:
                    raise NirvaError(
                        NirvaCode.UNKNOWN_OPTION_VALUE,
                        f"{value[:100]!r} is no option id of this environment: option ids differ "
                        "between sandbox and live accounts; read them from GET options",
                    )
                if option.type_code in chosen:
                    raise NirvaError(
                        NirvaCode.INVALID_PARAMETERS,
                        f"two {option.type_code} options were sent; send one value per type",
                    )
                chosen[option.type_code] = option.id
                ids.append(option.id)
    return chosen, ids
