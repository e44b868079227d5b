"""Ekopost's error object, {error_code, error_message, developer_message}: the one place where
anything raised on an /ekopost route becomes Ekopost's answer (the dialect's `translate_error`,
run by the route class dialects.base.dialect_route gives its router)."""

from __future__ import annotations

import logging

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from postroom.dialects.base import validation_summary
from postroom.dialects.ekopost.mapping import CORE_ERRORS, ERROR_MESSAGES, EkopostCode, EkopostError
from postroom.domain import errors

log = logging.getLogger(__name__)


def campaign_not_found(campaign_id: str) -> EkopostError:
    """106 for a campaign the caller does not have."""
    return EkopostError(
        EkopostCode.CAMPAIGN_NOT_FOUND, f"no campaign {campaign_id} in this account", status=404
    )


def error_response(status: int, code: EkopostCode, developer_message: str = "") -> JSONResponse:
    """The Ekopost error object with its status."""
    body = {
        "error_code": code.value,
        "error_message": ERROR_MESSAGES[code],
        "developer_message": developer_message,
    }
    return JSONResponse(body, status_code=status)


def translate(exc: Exception) -> JSONResponse:
    """The Ekopost answer for anything raised while handling a dialect request."""
    if isinstance(exc, EkopostError):
        return error_response(exc.status, exc.code, exc.developer_message)
    if isinstance(exc, RequestValidationError):
        return error_response(400, EkopostCode.INVALID_DATA, validation_summary(exc))
    if isinstance(exc, errors.NotFound):
        return error_response(404, EkopostCode.CAMPAIGN_NOT_FOUND, exc.message)
    if isinstance(exc, errors.DomainError):
        # Every handled refusal is a 400 in Ekopost, bad credentials included (code 0).
        code = EkopostCode.INVALID_DATA
        if isinstance(exc.code, errors.ErrorCode):
            code = CORE_ERRORS.get(exc.code, EkopostCode.INVALID_DATA)
        return error_response(400, code, exc.message)
    if isinstance(exc, StarletteHTTPException):
        status = exc.status_code if exc.status_code < 500 else 400
        return error_response(status, EkopostCode.INVALID_DATA, str(exc.detail))
    if isinstance(exc, errors.RetryableError):
        return error_response(503, EkopostCode.BUSY, "the server is busy; retry shortly")
    log.exception("unhandled error in the Ekopost dialect", exc_info=exc)
    return error_response(500, EkopostCode.INTERNAL, "something went wrong on our side")
