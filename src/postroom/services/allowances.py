"""Per-account allowances checked when content is added: the daily count of large documents
(Ekopost's 143, "More than 50 documents over 8Mb sent current day")."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time
from typing import BinaryIO

from postroom.domain.clock import Clock
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.services.letters import Limits
from postroom.services.ports import UnitOfWork


def size_of(upload: BinaryIO) -> int:
    """The upload's size in bytes, read from its end (it is left at its start)."""
    size = upload.seek(0, io.SEEK_END)
    upload.seek(0)
    return size


def check_large_allowance(
    uow: UnitOfWork, clock: Clock, limits: Limits, account_id: str, size: int, *, lock: bool = False
) -> None:
    """InvalidInput daily_large_documents when a large document would be one more than the
    account's allowance for the current UTC day."""
    if size <= limits.large_document_bytes:
        return
    if lock:
        # In the transaction that writes the document: concurrent large uploads of one
        # account count one after the other (PostgreSQL; SQLite has one writer).
        uow.accounts.lock(account_id)
    now = clock.now().astimezone(UTC)
    midnight = datetime.combine(now.date(), time(), tzinfo=UTC)
    taken = uow.pieces.count_large_documents(account_id, midnight, limits.large_document_bytes)
    if taken >= limits.large_documents_per_day:
        raise InvalidInput(
            f"the account added {taken} documents over {limits.large_document_bytes} bytes "
            f"today (UTC), its daily allowance; this one is {size} bytes",
            code=ErrorCode.DAILY_LARGE_DOCUMENTS,
            detail={"taken": taken, "allowance": limits.large_documents_per_day},
        )
