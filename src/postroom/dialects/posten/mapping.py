"""Posten's words for the core's: its error texts by status (the seed's error table), and
the core's field names in Posten's."""

from __future__ import annotations

from postroom.domain.errors import ErrorCode

# The seed's "Error handling" table: status -> its Text column.
ERROR_TEXTS: dict[int, str] = {
    400: "Client or Validation Error",
    401: "Authentication Failure",
    403: "Access denied",
    405: "Method not allowed",
    500: "Unexpected Server Error",
    503: "Unexpected Server Error",
}
CLIENT_ERROR = "Client error"  # the table's 4xx row, for any other 4xx

# The core's event fields (TrackingEvent, domain error details) in the seed's names.
FIELDS: dict[str, str] = {
    "reference": "trackingReference",
    "time": "eventTime",
    "code": "eventType",
    "additional_code": "additionalInfo",
    "channel": "comChannelType",
    "latitude": "lat",
    "longitude": "lon",
    "location": "locationContext",
    "location_id": "locationContextId",
    "message": "message",
}

# Core refusals by the status Posten answers them with (anything else handled: 400).
CORE_STATUS: dict[ErrorCode, int] = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.TOO_MANY_LOGIN_FAILURES: 429,
    ErrorCode.SHIPMENT_NOT_REACHABLE: 403,
    ErrorCode.FORBIDDEN: 403,
}
