"""Click2Mail's error answer: the one place anything raised on a /molpro route becomes
`<root><status>code</status><description>...</description></root>` under the HTTP status
the seed lists (the dialect's `translate_error`). Never JSON, never a traceback."""

from __future__ import annotations

import logging

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from postroom.dialects.base import validation_summary
from postroom.dialects.click2mail.mapping import (
    BAD_REQUEST,
    BUSY,
    MISSING_PARAMETER,
    NOT_FOUND,
    SERVER_ERROR,
    UNAUTHENTICATED,
    Answer,
)
from postroom.dialects.click2mail.schemas import xml_answer
from postroom.domain import errors

log = logging.getLogger(__name__)
ERROR_ROOT = "error"  # the root element where no resource is named


class Click2MailError(Exception):
    """A refusal in Click2Mail's terms: the seed's row, under the resource's element."""

    def __init__(self, answer: Answer, root: str = ERROR_ROOT, detail: str = "") -> None:
        super().__init__(answer.description)
        self.answer = answer
        self.root = root
        self.detail = detail


def error_answer(answer: Answer, root: str = ERROR_ROOT, detail: str = "") -> Response:
    """The error body with its status."""
    fields: dict[str, str | int] = {"status": int(answer.code), "description": answer.description}
    if detail:
        fields["detail"] = detail
    response = xml_answer(root, fields, answer.http)
    if answer.http == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="molpro"'
    return response


def translate(exc: Exception) -> Response:
    """The Click2Mail answer for anything raised while handling a /molpro request."""
    if isinstance(exc, Click2MailError):
        return error_answer(exc.answer, exc.root, exc.detail)
    if isinstance(exc, RequestValidationError):
        return error_answer(MISSING_PARAMETER, detail=validation_summary(exc))
    if isinstance(exc, errors.Unauthenticated | errors.TooManyAttempts):
        return error_answer(UNAUTHENTICATED, detail=exc.message)
    if isinstance(exc, errors.NotFound):
        return error_answer(NOT_FOUND, detail=exc.message)
    if isinstance(exc, errors.DomainError):
        return error_answer(Answer(400, BAD_REQUEST.code, exc.message))
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            return error_answer(NOT_FOUND)
        status = exc.status_code if exc.status_code < 500 else 400
        return error_answer(Answer(status, BAD_REQUEST.code, str(exc.detail)))
    if isinstance(exc, errors.RetryableError):
        return error_answer(BUSY)
    log.exception("unhandled error in the Click2Mail dialect", exc_info=exc)
    return error_answer(SERVER_ERROR)
