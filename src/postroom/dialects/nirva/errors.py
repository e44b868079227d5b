"""Nirva's error answer, {"status", "errorCode", "message"}: the one place where anything
raised on a /nirva route becomes Nirva's answer (the dialect's `translate_error`)."""

from __future__ import annotations

import logging

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from postroom.dialects.base import validation_summary
from postroom.dialects.nirva.mapping import CORE_ERRORS, NirvaCode, NirvaError
from postroom.domain import errors

log = logging.getLogger(__name__)


def error_response(code: NirvaCode, message: str) -> JSONResponse:
    """Nirva's error object, with the status its code carries."""
    body = {"status": code.status, "errorCode": code.value, "message": message}
    return JSONResponse(body, status_code=code.status)


def translate(exc: Exception) -> JSONResponse:
    """The Nirva answer for anything raised while handling a dialect request."""
    if isinstance(exc, NirvaError):
        return error_response(exc.code, exc.message)
    if isinstance(exc, RequestValidationError):
        return error_response(NirvaCode.INVALID_PARAMETERS, validation_summary(exc))
    if isinstance(exc, errors.Unauthenticated):
        return error_response(NirvaCode.AUTHENTICATION_FAILED, exc.message)
    if isinstance(exc, errors.TooManyAttempts):
        return error_response(NirvaCode.TOO_MANY_ATTEMPTS, exc.message)
    if isinstance(exc, errors.NotFound):
        return error_response(NirvaCode.NOT_FOUND, exc.message)
    if isinstance(exc, errors.DomainError):
        code = NirvaCode.INVALID_PARAMETERS
        if isinstance(exc.code, errors.ErrorCode):
            code = CORE_ERRORS.get(exc.code, NirvaCode.INVALID_PARAMETERS)
        return error_response(code, exc.message)
    if isinstance(exc, StarletteHTTPException):
        code = {404: NirvaCode.NOT_FOUND, 405: NirvaCode.METHOD_NOT_ALLOWED}.get(
            exc.status_code, NirvaCode.INVALID_PARAMETERS
        )
        return error_response(code, str(exc.detail))
    if isinstance(exc, errors.RetryableError):
        return error_response(NirvaCode.SERVER_BUSY, "the server is busy; retry shortly")
    log.exception("unhandled error in the Nirva dialect", exc_info=exc)
    return error_response(NirvaCode.INTERNAL_ERROR, "something went wrong on our side")
