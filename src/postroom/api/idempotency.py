"""Idempotency-Key handling around the native API's create routes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from postroom.bootstrap import Container
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.services import idempotency
from postroom.services.accounts import Principal

HEADER = "Idempotency-Key"


def fingerprint(request: Request, parts: Any) -> str:
    """A digest of what makes two requests the same: method, path and the parsed content."""
    canonical = json.dumps(
        [request.method, request.url.path, jsonable_encoder(parts)], sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(
    request: Request,
    c: Container,
    principal: Principal,
    parts: Any,
    handler: Callable[[], tuple[int, Any, Any]],
) -> JSONResponse:
    """Run `handler` once per Idempotency-Key; it returns (status, body, body to replay)."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body, _ = handler()
        return JSONResponse(jsonable_encoder(body), status_code=status)
    if not key.strip() or len(key) > idempotency.MAX_KEY_LENGTH:
        raise InvalidInput(
            f"{HEADER} must be 1 to {idempotency.MAX_KEY_LENGTH} characters",
            code=ErrorCode.INVALID_IDEMPOTENCY_KEY,
        )
    ttl = timedelta(seconds=c.settings.idempotency_ttl_seconds)
    lock = timedelta(seconds=c.settings.idempotency_lock_seconds)
    replay = idempotency.begin(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        key=key,
        fingerprint=fingerprint(request, parts),
        ttl=ttl,
        lock_for=lock,
    )
    if replay is not None:
        return JSONResponse(
            replay.body, status_code=replay.status_code, headers={"Idempotent-Replayed": "true"}
        )
    try:
        status, body, stored = handler()
    except BaseException:
        idempotency.abandon(uow=c.uow(), account_id=principal.account_id, key=key)
        raise
    idempotency.complete(
        uow=c.uow(),
        account_id=principal.account_id,
        key=key,
        status_code=status,
        body=jsonable_encoder(stored),
    )
    return JSONResponse(jsonable_encoder(body), status_code=status)
