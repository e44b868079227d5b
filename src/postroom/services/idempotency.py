"""Idempotency-Key: the same key and request replay the first answer for 24 hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from postroom.domain.clock import Clock
from postroom.domain.errors import ErrorCode, IdempotencyConflict, IdempotencyMismatch
from postroom.services.ports import UnitOfWork

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    """The stored answer to send again."""

    status_code: int
    body: Any


def begin(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    key: str,
    fingerprint: str,
    ttl: timedelta,
    lock_for: timedelta,
) -> Replay | None:
    """Claim the key (None: go ahead) or say what to do instead (Replay, or raise)."""
    # Two rounds at most: the second follows the removal of an expired or abandoned record.
    for _ in range(2):
        now = clock.now()
        with uow:
            if uow.idempotency.try_insert(account_id, key, fingerprint, now, now + lock_for):
                uow.commit()
                return None
            record = uow.idempotency.get(account_id, key)
            if record is None:
                raise IdempotencyConflict("the first request with this key is still running")
            expired = record.created_at + ttl < now
            abandoned = record.status_code is None and (
                record.locked_until is None or record.locked_until < now
            )
            if expired or abandoned:
                uow.idempotency.remove(account_id, key)
                uow.commit()
                continue
            if record.fingerprint != fingerprint:
                raise IdempotencyMismatch(
                    "this Idempotency-Key was used with a different request",
                    code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
                )
            if record.status_code is None:
                raise IdempotencyConflict("the first request with this key is still running")
            return Replay(status_code=record.status_code, body=record.response_body)
    raise IdempotencyConflict("another request with this key is starting; retry")


def complete(*, uow: UnitOfWork, account_id: str, key: str, status_code: int, body: Any) -> None:
    """Store the answer for later replays."""
    with uow:
        uow.idempotency.complete(account_id, key, status_code, body)
        uow.commit()


def abandon(*, uow: UnitOfWork, account_id: str, key: str) -> None:
    """Release the key after a failure that left nothing behind, so a retry can run."""
    with uow:
        uow.idempotency.remove(account_id, key)
        uow.commit()
