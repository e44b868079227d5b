"""The ports the use cases depend on: a unit of work with its repositories, blobs, a clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Protocol

from postroom.domain.model import (
    Account,
    ApiKey,
    Document,
    Lot,
    MailPiece,
    SessionToken,
    Shop,
    User,
)
from postroom.domain.states import PieceState


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


class Accounts(Protocol):
    def add(self, obj: Account | User | ApiKey | SessionToken | Shop) -> None: ...
    def get(self, account_id: str) -> Account | None: ...
    def find_by_name(self, name: str) -> Account | None: ...
    def user_by_username(self, username: str) -> User | None: ...
    def api_key_by_hash(self, key_hash: str) -> ApiKey | None: ...
    def api_key(self, account_id: str, key_id: str) -> ApiKey | None: ...
    def api_keys(self, account_id: str) -> Sequence[ApiKey]: ...
    def remove_api_key(self, key: ApiKey) -> None: ...
    def session_by_hash(self, token_hash: str) -> SessionToken | None: ...
    def shops(self, account_id: str) -> Sequence[Shop]: ...


class Pieces(Protocol):
    def add(self, obj: Document | MailPiece) -> None: ...
    def document(self, account_id: str, document_id: str) -> Document | None: ...
    def document_by_id(self, document_id: str) -> Document | None: ...
    def get(self, account_id: str, piece_id: str) -> MailPiece | None: ...
    def get_by_id(self, piece_id: str) -> MailPiece | None: ...
    def page(
        self,
        account_id: str,
        *,
        state: PieceState | None,
        created_from: datetime | None,
        created_to: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[MailPiece]: ...
    def ready_for_lot(self, limit: int) -> Sequence[MailPiece]: ...
    def in_lot(self, lot_id: str) -> Sequence[MailPiece]: ...
    def ids_in_state(self, state: PieceState) -> Sequence[str]: ...


class Lots(Protocol):
    def add(self, lot: Lot) -> None: ...
    def get(self, lot_id: str) -> Lot | None: ...
    def all(self) -> Sequence[Lot]: ...


class Outbox(Protocol):
    def add(self, actor: str, payload: dict[str, Any], now: datetime) -> None: ...
    def claim(
        self, *, now: datetime, redeliver_before: datetime, limit: int
    ) -> list[OutboxMessage]: ...
    def mark_published(self, ids: Sequence[int], now: datetime) -> None: ...
    def mark_done(self, message_id: int, now: datetime) -> None: ...
    def republish_all_pending(self) -> int: ...
    def pending_count(self) -> int: ...


class Stages(Protocol):
    def has_run(self, subject_id: str, stage: str) -> bool: ...
    def record(self, subject_id: str, stage: str, now: datetime) -> None: ...


class Idempotency(Protocol):
    def get(self, account_id: str, key: str) -> IdempotencyRecord | None: ...
    def try_insert(
        self, account_id: str, key: str, fingerprint: str, now: datetime, locked_until: datetime
    ) -> bool: ...
    def complete(self, account_id: str, key: str, status_code: int, body: Any) -> None: ...
    def remove(self, account_id: str, key: str) -> None: ...


class UnitOfWork(Protocol):
    """One transaction over every repository; leaving without commit() rolls back."""

    accounts: Accounts
    pieces: Pieces
    lots: Lots
    outbox: Outbox
    stages: Stages
    idempotency: Idempotency

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work."""

    def __call__(self) -> UnitOfWork: ...


class BlobStore(Protocol):
    """Where document bytes live; an S3 implementation will follow the same port."""

    def put(self, stream: BinaryIO) -> tuple[str, int]:
        """Store the stream's bytes; return (sha256 hex, size)."""
        ...

    def path(self, sha256: str) -> Path:
        """A local file holding the blob (object stores download it to a cache)."""
        ...

    def exists(self, sha256: str) -> bool:
        """True when the blob is stored."""
        ...

    def check(self) -> None:
        """Raise when the store cannot be written."""
        ...
