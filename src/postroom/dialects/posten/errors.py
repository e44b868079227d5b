"""Posten's error body: the one place anything raised on a /posten route becomes Posten's
answer (the dialect's `translate_error`). The seed shows the status table and says a body
explains the error, without its format; ours is

    {"status": 400, "error": "Client or Validation Error", "message": "...",
     "errors": [{"field": "eventType", "message": "..."}]}

with `error` the seed's Text for the status and one entry per bad field."""

from __future__ import annotations

import logging
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from postroom.dialects.posten.mapping import CLIENT_ERROR, CORE_STATUS, ERROR_TEXTS, FIELDS
from postroom.domain import errors

log = logging.getLogger(__name__)


def error_response(
    status: int,
    message: str,
    fields: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Posten's error body with its status."""
    body: dict[str, Any] = {
        "status": status,
        "error": ERROR_TEXTS.get(status, CLIENT_ERROR),
        "message": message,
        "errors": fields or [],
    }
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Basic realm="postroom", Bearer'}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """One entry per bad field, named as the request named it."""
    found = []
    for err in exc.errors():
        where = [str(p) for p in err.get("loc", ()) if p not in ("body", "query")]
        found.append({"field": ".".join(where) or "body", "message": str(err.get("msg", ""))})
    return found


def translate(exc: Exception) -> JSONResponse:
    """The Posten answer for anything raised while handling a dialect request."""
    if isinstance(exc, RequestValidationError):
        fields = _field_errors(exc)
        names = ", ".join(f["field"] for f in fields)
        return error_response(400, f"invalid fields: {names}", fields)
    if isinstance(exc, errors.DomainError):
        status = 400
        if isinstance(exc.code, errors.ErrorCode):
            status = CORE_STATUS.get(exc.code, 400)
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        field = detail.get("field")
        fields = (
            [{"field": FIELDS.get(field, field), "message": exc.message}]
            if isinstance(field, str)
            else []
        )
        retry = (
            {"Retry-After": str(exc.retry_after)}
            if isinstance(exc, errors.TooManyAttempts)
            else None
        )
        return error_response(status, exc.message, fields, retry)
    if isinstance(exc, StarletteHTTPException):
        status = exc.status_code if exc.status_code < 500 else 400
        return error_response(status, str(exc.detail))
    if isinstance(exc, errors.RetryableError):
        return error_response(503, "the server is busy; retry shortly")
    log.exception("unhandled error in the Posten dialect", exc_info=exc)
    return error_response(500, "something went wrong on our side")
