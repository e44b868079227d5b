"""ASGI middleware: request bodies over the configured size refused before they are stored;
the answer to a write sent only once what it committed survives a power cut."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from postroom.domain.sizes import in_mib

# Multipart framing around the file itself (boundaries, headers, the recipient JSON).
FRAMING_ALLOWANCE = 256 * 1024


class BodySizeLimit:
    """Answers 413 in the native error form when a body is over `max_bytes` (+ framing)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limit = max_bytes + FRAMING_ALLOWANCE
        # Said as the docs say the setting: the file's limit in MiB, the framing on top.
        self.message = (
            f"the request body is over the limit: files of up to {in_mib(max_bytes)} "
            f"({max_bytes} bytes, POSTROOM_MAX_UPLOAD_BYTES) are taken, plus "
            f"{in_mib(FRAMING_ALLOWANCE)} for the rest of the form"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._refuse(send)
            return
        seen = 0

        async def counting_receive() -> Message:
            # A body without Content-Length (chunked) is counted as it arrives; the route's
            # error handlers turn the HTTPException into the native error form.
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, self.message)
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, send: Send) -> None:
        body: dict[str, Any] = {
            "error": {
                "code": "payload_too_large",
                "message": self.message,
                "detail": {"max_bytes": self.max_bytes, "max_request_bytes": self.limit},
            }
        }
        data = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})


# Methods that change nothing: their answers promise nothing to keep.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class DurableAnswers:
    """The success answer to a write leaves only once what the request committed survives a
    power cut, whatever the way in (/v1, a dialect, the dashboard): `wait` is SQLite's
    shared sync of its log (database.CommitSync), which covers every commit made before it
    is called, so a 2xx "accepted" means on disk (ADR 0027). Installed only where a commit
    alone is not durable (not on PostgreSQL). A refusal (4xx, 5xx) does not wait."""

    def __init__(self, app: ASGIApp, wait: Callable[[], None]) -> None:
        self.app = app
        self.wait = wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return

        async def send_when_durable(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                await anyio.to_thread.run_sync(self.wait)
            await send(message)

        await self.app(scope, receive, send_when_durable)
