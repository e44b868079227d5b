"""Plain records the storage layer hands to the use cases: outbox messages, idempotency keys,
an email letter's SMTP attempts."""

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


@dataclass(frozen=True)
class EmailAttempt:
    """One try at handing an email letter's message to the SMTP server, and its answer."""

    piece_id: str
    attempted_at: datetime
    outcome: str  # sent, refused (for good), deferred (tried again later)
    answer: str  # the server's reply, or why no server answered
    server: str  # host:port
