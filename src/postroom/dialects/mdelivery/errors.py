"""MDelivery's error answer, {code, message} with the seed's HTTP status: the one place
where anything raised on an /mdelivery route becomes the hub's answer."""

from __future__ import annotations

import logging

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from postroom.dialects.base import validation_summary
from postroom.dialects.mdelivery.mapping import (
    BAD_REQUEST,
    CORE_ERRORS,
    Fault,
    FaultCode,
    MDeliveryError,
)
from postroom.domain import errors

log = logging.getLogger(__name__)


def fault_response(fault: Fault, message: str) -> JSONResponse:
    return JSONResponse({"code": fault.code.value, "message": message}, status_code=fault.status)


def translate(exc: Exception) -> JSONResponse:
    """The hub's answer for anything raised while handling its request."""
    if isinstance(exc, MDeliveryError):
        return fault_response(exc.fault, exc.message)
    if isinstance(exc, RequestValidationError):
        return fault_response(BAD_REQUEST, validation_summary(exc))
    if isinstance(exc, errors.DomainError):
        fault = BAD_REQUEST
        if isinstance(exc.code, errors.ErrorCode):
            fault = CORE_ERRORS.get(exc.code, BAD_REQUEST)
        return fault_response(fault, exc.message)
    if isinstance(exc, StarletteHTTPException):
        code = FaultCode.METHOD_NOT_ALLOWED if exc.status_code == 405 else FaultCode.NOT_FOUND
        if exc.status_code not in (404, 405):
            code = FaultCode.INVALID_PARAMETER
        status = exc.status_code if exc.status_code < 500 else 400
        return fault_response(Fault(status, code), str(exc.detail))
    if isinstance(exc, errors.RetryableError):
        return fault_response(Fault(503, FaultCode.BUSY), "the server is busy; retry shortly")
    log.exception("unhandled error in the MDelivery dialect", exc_info=exc)
    return fault_response(Fault(500, FaultCode.SERVER_ERROR), "A server error occurred.")
