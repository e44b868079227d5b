"""Every failure on a dashboard route answered as a page: a missing session sends the
visitor to sign in, a domain error gets its status and plain words, anything else a 500
page (never the API's JSON, never a stack trace)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from postroom.bootstrap import Container
from postroom.domain import errors
from postroom.web.security import CsrfRefused, SignInNeeded, Visitor, sign_in_url, signed_in
from postroom.web.templating import render

log = logging.getLogger(__name__)

STATUS: list[tuple[type[Exception], int, str]] = [
    (errors.NotFound, 404, "Page not found"),
    (errors.ContentRemoved, 410, "No longer kept"),
    (errors.Unauthenticated, 401, "Sign in again"),
    (errors.Forbidden, 403, "Not allowed"),
    (errors.TooManyAttempts, 429, "Too many attempts"),
    (errors.PaymentRequired, 402, "Not enough credit"),
    (errors.Conflict, 409, "Not possible now"),
    (errors.InvalidInput, 422, "Check what you sent"),
    (errors.RetryableError, 503, "Busy"),
]

NOT_FOUND_TEXT = (
    "There is no such page in your account. If you followed a link, the letter or key it "
    "names may belong to another account or may have been removed."
)
CSRF_TEXT = (
    "This form could not be accepted: it has expired or did not come from this dashboard. "
    "Go back, reload the page and send it again."
)
BAD_ADDRESS_TEXT = "The address of this page is not valid. Check the link, or start from Home."


def error_page(request: Request, exc: Exception) -> Response:
    """The page answering `exc` on a dashboard route."""
    c: Container = request.app.state.container
    if isinstance(exc, SignInNeeded):
        return RedirectResponse(sign_in_url(exc.next_path), status_code=303)
    if isinstance(exc, CsrfRefused):
        return _page(request, c, 403, "Form refused", CSRF_TEXT)
    if isinstance(exc, RequestValidationError):
        return _page(request, c, 400, "Not a valid address", BAD_ADDRESS_TEXT)
    if isinstance(exc, HTTPException) and exc.status_code == 404:
        return _page(request, c, 404, "Page not found", NOT_FOUND_TEXT)
    for error_type, status, title in STATUS:
        if isinstance(exc, error_type):
            text = NOT_FOUND_TEXT if status == 404 else str(getattr(exc, "message", exc))
            return _page(request, c, status, title, text)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _page(
        request,
        c,
        500,
        "Something went wrong",
        "Something went wrong on our side. Try again; if it goes on, tell your administrator.",
    )


def _page(request: Request, c: Container, status: int, title: str, text: str) -> Response:
    # Signed in, the page keeps its menu: the way back is one click.
    return render(
        request, c, "error.html", status=status, title=title, text=text, visitor=_visitor(request)
    )


def _visitor(request: Request) -> Visitor | None:
    try:
        return signed_in(request, request.app.state.container)
    except (SignInNeeded, errors.RetryableError):
        return None


class PageRoute(APIRoute):
    """A dashboard route: whatever it raises is answered by error_page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # every failure becomes a page
                return error_page(request, exc)

        return answer
