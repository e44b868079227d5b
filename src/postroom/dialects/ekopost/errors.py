"""Ekopost's error object, {error_code, error_message, developer_message}, for every failure on
the dialect's routes: a route class catches what a handler or FastAPI's own validation raises,
so the native API's error form never shows under /ekopost and /v1 is untouched."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from postroom.dialects.ekopost.mapping import CORE_ERRORS, ERROR_MESSAGES
from postroom.domain import errors

log = logging.getLogger(__name__)


class EkopostError(Exception):
    """A refusal in Ekopost's terms: an error code of the seed's table and an HTTP status."""

    def __init__(self, code: str, developer_message: str = "", *, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.developer_message = developer_message


def campaign_not_found(campaign_id: str) -> EkopostError:
    return EkopostError("106", f"no campaign {campaign_id} in this account", status=404)


def error_response(
    status: int, code: str, developer_message: str = "", message: str | None = None
) -> JSONResponse:
    """The Ekopost error object with its status."""
    body = {
        "error_code": code,
        "error_message": message or ERROR_MESSAGES.get(code, "The request could not be handled."),
        "developer_message": developer_message,
    }
    return JSONResponse(body, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {err.get('msg', '')}")
    return "; ".join(parts)


def translate(exc: Exception) -> JSONResponse:
    """The Ekopost answer for anything raised while handling a dialect request."""
    if isinstance(exc, EkopostError):
        return error_response(exc.status, exc.code, exc.developer_message)
    if isinstance(exc, RequestValidationError):
        return error_response(400, "127", _validation_message(exc))
    if isinstance(exc, errors.NotFound):
        return error_response(404, "106", exc.message)
    if isinstance(exc, errors.DomainError):
        # Every handled refusal is a 400 in Ekopost, bad credentials included (code 0).
        return error_response(400, CORE_ERRORS.get(exc.code, "127"), exc.message)
    if isinstance(exc, StarletteHTTPException):
        status = exc.status_code if exc.status_code < 500 else 400
        return error_response(status, "127", str(exc.detail))
    if isinstance(exc, errors.RetryableError):
        return error_response(503, "busy", "the server is busy; retry shortly", "Server busy.")
    log.exception("unhandled error in the Ekopost dialect", exc_info=exc)
    return error_response(500, "500", "something went wrong on our side", "Internal error.")


class EkopostRoute(APIRoute):
    """An APIRoute whose every failure comes out as Ekopost's error object."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def ekopost_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # every failure is answered in Ekopost's form
                return translate(exc)

        return ekopost_handler

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A wrong method on a dialect path (405) is refused before the handler runs."""
        try:
            await super().handle(scope, receive, send)
        except StarletteHTTPException as exc:
            response = translate(exc)
            response.headers.update(exc.headers or {})
            await response(scope, receive, send)
