"""Plain records the storage layer hands to the use cases: outbox messages, idempotency keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class OutboxMessage:
    """A request for a pipeline stage, as stored in the outbox."""

    id: int
    actor: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class IdempotencyRecord:
    """What we remember about one Idempotency-Key."""

    fingerprint: str
    status_code: int | None
    response_body: Any
    created_at: datetime
    locked_until: datetime | None
