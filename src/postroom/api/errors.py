"""The native API's one error form, {"error": {"code", "message", "detail"}}, for every failure."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from postroom.domain import errors

log = logging.getLogger(__name__)

STATUS_BY_ERROR: list[tuple[type[errors.DomainError], int]] = [
    (errors.NotFound, 404),
    (errors.ContentRemoved, 410),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.TooManyAttempts, 429),
    (errors.IdempotencyMismatch, 422),
    (errors.DocumentTooLarge, 413),
    (errors.InvalidInput, 422),
    (errors.PaymentRequired, 402),
    (errors.Conflict, 409),
]

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_response(
    status: int,
    code: str,
    message: str,
    detail: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON response in the native error form."""
    body = {"error": {"code": code, "message": message, "detail": detail}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_for(exc: errors.DomainError) -> int:
    """The HTTP status a domain error maps to."""
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status
    return 400


def _clean(errs: list[Any]) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", [])), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in errs
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Route every failure through error_response."""

    @app.exception_handler(errors.DomainError)
    async def _domain(_: Request, exc: errors.DomainError) -> JSONResponse:
        headers: dict[str, str] | None = None
        if isinstance(exc, errors.Unauthenticated):
            headers = {"WWW-Authenticate": 'api-key, Basic realm="postroom", Bearer'}
        elif isinstance(exc, errors.TooManyAttempts):
            headers = {"Retry-After": str(exc.retry_after)}
        return error_response(status_for(exc), exc.code, exc.message, exc.detail, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(
            422, "validation_error", "the request is not valid", _clean(list(exc.errors()))
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), None, exc.headers)

    @app.exception_handler(errors.RetryableError)
    async def _busy(_: Request, exc: errors.RetryableError) -> JSONResponse:
        return error_response(
            503, "busy", "the server is busy; retry shortly", None, {"Retry-After": "1"}
        )

    @app.exception_handler(errors.Misconfigured)
    async def _misconfigured(request: Request, exc: errors.Misconfigured) -> JSONResponse:
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return error_response(
            503,
            "misconfigured",
            "this server cannot answer that with its settings; its operator is told why in its log",
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "something went wrong on our side")
