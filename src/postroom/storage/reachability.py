"""The reachability registry's queries: which of an account's digital recipients are known."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from postroom.domain.reachability import ReachKind
from postroom.storage import tables
from postroom.storage.database import insert_or_skip


class ReachabilityRepository:
    """Adds, removes and looks up (account, kind, recipient) rows."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, account_id: str, kind: ReachKind, recipients: Sequence[str], now: datetime
    ) -> None:
        """Register the recipients (already known ones stay as they were)."""
        if not recipients:
            return
        connection = self.session.connection()
        rows = [
            {"account_id": account_id, "kind": kind.value, "recipient": r, "created_at": now}
            for r in recipients
        ]
        connection.execute(insert_or_skip(connection, tables.reachable_recipients), rows)

    def remove(self, account_id: str, kind: ReachKind, recipient: str) -> bool:
        """Forget one recipient; True when it was registered."""
        t = tables.reachable_recipients
        result = self.session.execute(
            delete(t).where(
                t.c.account_id == account_id, t.c.kind == kind.value, t.c.recipient == recipient
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def known(self, account_id: str, kind: ReachKind, recipients: Sequence[str]) -> set[str]:
        """Which of the recipients are registered."""
        t = tables.reachable_recipients
        rows = self.session.execute(
            select(t.c.recipient).where(
                t.c.account_id == account_id,
                t.c.kind == kind.value,
                t.c.recipient.in_(list(recipients)),
            )
        ).scalars()
        return {str(r) for r in rows}

    def listed(
        self, account_id: str, kind: ReachKind, *, after: str | None, limit: int
    ) -> list[str]:
        """The account's recipients of a kind in order, after a recipient."""
        t = tables.reachable_recipients
        stmt = select(t.c.recipient).where(t.c.account_id == account_id, t.c.kind == kind.value)
        if after is not None:
            stmt = stmt.where(t.c.recipient > after)
        return [
            str(r)
            for r in self.session.execute(stmt.order_by(t.c.recipient).limit(limit)).scalars()
        ]
