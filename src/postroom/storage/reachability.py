"""The reachability registry's queries: which of an account's digital recipients are known."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
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


class EbankSenderRepository:
    """An account's e-bank senders (FUI numbers) and each one's receivers."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, account_id: str, fui: str, receivers: Sequence[str], now: datetime) -> None:
        """Register the sender with these receivers (replacing the ones it had)."""
        t = tables.ebank_senders
        changed = self.session.execute(
            update(t)
            .where(t.c.account_id == account_id, t.c.fui == fui)
            .values(receivers=list(receivers))
        )
        if not getattr(changed, "rowcount", 0):
            self.session.execute(
                t.insert().values(
                    account_id=account_id, fui=fui, receivers=list(receivers), created_at=now
                )
            )

    def receivers(self, account_id: str, fui: str) -> list[str] | None:
        """The sender's receivers; None when the account has no such sender."""
        t = tables.ebank_senders
        found = self.session.execute(
            select(t.c.receivers).where(t.c.account_id == account_id, t.c.fui == fui)
        ).scalar_one_or_none()
        return None if found is None else [str(r) for r in found]

    def first(self, account_id: str) -> str | None:
        """The account's first registered sender (its default), or None."""
        t = tables.ebank_senders
        return self.session.execute(
            select(t.c.fui)
            .where(t.c.account_id == account_id)
            .order_by(t.c.created_at, t.c.fui)
            .limit(1)
        ).scalar_one_or_none()

    def listed(self, account_id: str) -> list[tuple[str, list[str]]]:
        """Every sender of the account with its receivers, by FUI."""
        t = tables.ebank_senders
        rows = self.session.execute(
            select(t.c.fui, t.c.receivers).where(t.c.account_id == account_id).order_by(t.c.fui)
        )
        return [(str(fui), [str(r) for r in receivers]) for fui, receivers in rows]

    def remove(self, account_id: str, fui: str) -> bool:
        """Forget a sender; True when it was registered."""
        t = tables.ebank_senders
        result = self.session.execute(delete(t).where(t.c.account_id == account_id, t.c.fui == fui))
        return bool(getattr(result, "rowcount", 0))
