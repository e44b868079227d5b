"""A large file's page ranges shared between worker processes (tables shared_analyses,
shared_ranges; services/shared_ranges.py): each range is taken by one process at a time,
the first to ask, and its result recorded as a blob."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from postroom.domain.shared_ranges import DONE, FAILED, PENDING, TAKEN, SharedRange
from postroom.storage import tables


def _range(row: Any) -> SharedRange:
    return SharedRange(
        seq=row.seq,
        call=row.call,
        state=row.state,
        taken_by=row.taken_by,
        taken_at=row.taken_at,
        result_sha256=row.result_sha256,
        error_code=row.error_code,
        error_message=row.error_message,
    )


class SharedRangeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open(self, document_id: str, request: Any, calls: Sequence[Any], now: datetime) -> None:
        """Record the analysis's request and its ranges, every one pending."""
        self.session.execute(
            insert(tables.shared_analyses).values(
                document_id=document_id, request=request, created_at=now
            )
        )
        rows = [
            {"document_id": document_id, "seq": seq, "call": call, "state": PENDING}
            for seq, call in enumerate(calls)
        ]
        if rows:
            self.session.execute(insert(tables.shared_ranges), rows)

    def request_of(self, document_id: str) -> Any | None:
        """The request of the document's shared analysis; None when it has none."""
        t = tables.shared_analyses
        return self.session.scalar(select(t.c.request).where(t.c.document_id == document_id))

    def close(self, document_id: str) -> list[str]:
        """Remove the document's shared analysis; the result blobs it recorded."""
        t = tables.shared_ranges
        shas = self.session.scalars(
            select(t.c.result_sha256).where(
                t.c.document_id == document_id, t.c.result_sha256.is_not(None)
            )
        ).all()
        self.session.execute(delete(t).where(t.c.document_id == document_id))
        a = tables.shared_analyses
        self.session.execute(delete(a).where(a.c.document_id == document_id))
        return [str(sha) for sha in shas]

    def take(self, document_id: str, taker: str, now: datetime) -> SharedRange | None:
        """Take the first pending range for `taker`; None when none is pending. Two takers
        never get the same range (a row lock skipped by the others on PostgreSQL; SQLite's
        transactions take the database's write lock at their start)."""
        t = tables.shared_ranges
        row = self.session.execute(
            select(t)
            .where(t.c.document_id == document_id, t.c.state == PENDING)
            .order_by(t.c.seq)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        self.session.execute(
            update(t)
            .where(t.c.document_id == document_id, t.c.seq == row.seq)
            .values(state=TAKEN, taken_by=taker, taken_at=now)
        )
        return replace(_range(row), state=TAKEN, taken_by=taker, taken_at=now)

    def finish(
        self,
        document_id: str,
        seq: int,
        taker: str,
        *,
        result_sha256: str | None = None,
        error: tuple[str, str] | None = None,
    ) -> bool:
        """Record a taken range's result (or the refusal it met); False when the range is no
        longer this taker's (it was given to another after it looked abandoned)."""
        t = tables.shared_ranges
        values: dict[str, Any] = (
            {"state": FAILED, "error_code": error[0], "error_message": error[1][:500]}
            if error
            else {"state": DONE, "result_sha256": result_sha256}
        )
        moved = self.session.execute(
            update(t)
            .where(
                t.c.document_id == document_id,
                t.c.seq == seq,
                t.c.state == TAKEN,
                t.c.taken_by == taker,
            )
            .values(**values)
        )
        return bool(getattr(moved, "rowcount", 0))

    def release(
        self, document_id: str, *, taken_before: datetime | None = None, taker: str = ""
    ) -> int:
        """Put taken ranges back to pending: one taker's (it gives them up), or those taken
        before a time (their taker looks gone). How many went back."""
        t = tables.shared_ranges
        where = [t.c.document_id == document_id, t.c.state == TAKEN]
        if taken_before is not None:
            where.append(t.c.taken_at < taken_before)
        if taker:
            where.append(t.c.taken_by == taker)
        moved = self.session.execute(
            update(t).where(*where).values(state=PENDING, taken_by=None, taken_at=None)
        )
        return int(getattr(moved, "rowcount", 0) or 0)

    def get(self, document_id: str, seq: int) -> SharedRange | None:
        t = tables.shared_ranges
        row = self.session.execute(
            select(t).where(t.c.document_id == document_id, t.c.seq == seq)
        ).first()
        return _range(row) if row is not None else None
