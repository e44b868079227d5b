"""What a dialect is to the rest of Postroom: one descriptor per dialect, found through the
`postroom.dialects` entry-point group (dialects/registry.py), which the app mounts and the
composition root starts. See docs/extending.md, "How to add a dialect"."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

ErrorTranslator = Callable[[Exception], Response]
"""Turns anything raised on a dialect's route (a domain error, a validation error, an HTTP
error, a crash) into the dialect's own error answer."""


class AuthForm(StrEnum):
    """A way a caller presents credentials; a dialect accepts the ones its vendor uses."""

    API_KEY = "api-key"  # Authorization: api-key KEY
    BASIC = "basic"  # Authorization: Basic base64(username:password)
    BEARER = "bearer"  # Authorization: Bearer KEY-or-session-token
    AUTH_TOKEN = "x-auth-token"  # X-Auth-Token: session token (POST /v1/sessions)


def _nothing() -> None:
    """A startup hook that does nothing."""


@dataclass(frozen=True)
class Dialect:
    """One inbound vendor API: everything the app and the composition root need of it."""

    name: str  # the entry point's name, the key of its `dialect_fields`, its OpenAPI tag
    label: str  # the vendor's name as people write it
    mount: str  # where its paths start: "/ekopost"
    auth: tuple[AuthForm, ...]  # the credential forms its callers send
    router: Callable[[], APIRouter]  # builds its routes (imported late: routes need the app)
    translate_error: ErrorTranslator  # the one place core errors become the vendor's errors
    on_startup: Callable[[], None] = _nothing  # run once per process (webhook shapers, ...)
    docs: str = ""  # its mapping tables: docs/dialects/<name>.md

    def __post_init__(self) -> None:
        if not self.mount.startswith("/") or self.mount.endswith("/"):
            raise ValueError(f"dialect {self.name}: mount must look like /name, not {self.mount!r}")


def dialect_route(translate_error: ErrorTranslator) -> type[APIRoute]:
    """An APIRoute class answering every failure of its routes with `translate_error`, so the
    native API's error form never shows under a dialect and /v1's handlers stay untouched.
    Give it to the dialect's router: `APIRouter(route_class=dialect_route(translate))`."""

    # Every method the dialect serves on each of its paths: Starlette answers a wrong
    # method with the Allow of the first route of the path only (GET and POST of one path
    # are two routes).
    methods_by_path: dict[str, set[str]] = {}

    class DialectRoute(APIRoute):
        def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
            super().__init__(path, endpoint, **kwargs)
            methods_by_path.setdefault(self.path, set()).update(self.methods or ())

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def answer(request: Request) -> Response:
                try:
                    return await handler(request)
                except Exception as exc:  # every failure is answered in the dialect's form
                    return translate_error(exc)

            return answer

        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            """A wrong method on a dialect path (405) is refused before the handler runs."""
            try:
                await super().handle(scope, receive, send)
            except StarletteHTTPException as exc:
                response = translate_error(exc)
                response.headers.update(exc.headers or {})
                if exc.status_code == 405:
                    response.headers["Allow"] = ", ".join(sorted(methods_by_path[self.path]))
                await response(scope, receive, send)

    return DialectRoute


def validation_summary(exc: RequestValidationError) -> str:
    """A request's validation errors in one line, `field: problem; ...`, for a dialect's
    developer message."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {err.get('msg', '')}")
    return "; ".join(parts)
