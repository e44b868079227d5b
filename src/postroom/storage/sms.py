"""Text messages and their recipients' states (tables sms_messages, sms_recipients)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from postroom.domain.sms import SmsMessage, SmsRecipient, SmsState
from postroom.storage import tables

# Rows per INSERT: 100,000 recipients go in a few hundred statements, each well under the
# databases' limits on bound parameters.
INSERT_CHUNK = 5000


def _message(row: Any) -> SmsMessage:
    return SmsMessage(
        id=row.id,
        account_id=row.account_id,
        sender=row.sender,
        text=row.text,
        recipient_count=row.recipient_count,
        sandbox=row.sandbox,
        created_at=row.created_at,
        client_reference=row.client_reference,
        dialect_fields=dict(row.dialect_fields or {}),
        price_minor=row.price_minor,
    )


def _recipient(row: Any) -> SmsRecipient:
    return SmsRecipient(
        position=row.position,
        number=row.number,
        state=SmsState(row.state),
        state_changed_at=row.state_changed_at,
        reason=row.reason,
    )


class SmsRepository:
    """Adds messages with their recipients, reads them back, moves recipients' states."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, message: SmsMessage, numbers: Sequence[str], now: datetime) -> None:
        """Store the message and its recipients, all queued, in the caller's transaction."""
        self.session.execute(
            insert(tables.sms_messages).values(
                id=message.id,
                account_id=message.account_id,
                sender=message.sender,
                text=message.text,
                recipient_count=message.recipient_count,
                sandbox=message.sandbox,
                client_reference=message.client_reference,
                dialect_fields=message.dialect_fields,
                created_at=message.created_at,
                price_minor=message.price_minor,
            )
        )
        for start in range(0, len(numbers), INSERT_CHUNK):
            rows = [
                {
                    "sms_id": message.id,
                    "position": start + offset + 1,
                    "number": number,
                    "state": SmsState.QUEUED.value,
                    "state_changed_at": now,
                    "reason": None,
                }
                for offset, number in enumerate(numbers[start : start + INSERT_CHUNK])
            ]
            self.session.execute(insert(tables.sms_recipients), rows)

    def get(self, account_id: str | None, sms_id: str) -> SmsMessage | None:
        """The message (only when it is the account's, unless account_id is None)."""
        t = tables.sms_messages
        stmt = select(t).where(t.c.id == sms_id)
        if account_id is not None:
            stmt = stmt.where(t.c.account_id == account_id)
        row = self.session.execute(stmt).first()
        return None if row is None else _message(row)

    def state_counts(self, sms_id: str) -> dict[SmsState, int]:
        """How many of the message's recipients are in each state."""
        t = tables.sms_recipients
        rows = self.session.execute(
            select(t.c.state, func.count()).where(t.c.sms_id == sms_id).group_by(t.c.state)
        )
        return {SmsState(state): int(count) for state, count in rows}

    def recipients(
        self,
        sms_id: str,
        *,
        after: int = 0,
        limit: int,
        states: Iterable[SmsState] | None = None,
    ) -> list[SmsRecipient]:
        """The message's recipients after a position, in order (in these states only)."""
        t = tables.sms_recipients
        stmt = select(t).where(t.c.sms_id == sms_id, t.c.position > after)
        if states is not None:
            stmt = stmt.where(t.c.state.in_([s.value for s in states]))
        rows = self.session.execute(stmt.order_by(t.c.position).limit(limit))
        return [_recipient(row) for row in rows]

    def recipient(self, sms_id: str, position: int) -> SmsRecipient | None:
        """One recipient of the message."""
        t = tables.sms_recipients
        row = self.session.execute(
            select(t).where(t.c.sms_id == sms_id, t.c.position == position)
        ).first()
        return None if row is None else _recipient(row)

    def move(
        self,
        sms_id: str,
        positions: Sequence[int],
        to: SmsState,
        *,
        only_from: Sequence[SmsState],
        now: datetime,
        reason: str | None = None,
    ) -> int:
        """Move the recipients at `positions` that are in one of `only_from` to `to` (the
        others are left as they are); answers how many moved."""
        if not positions:
            return 0
        t = tables.sms_recipients
        moved = 0
        for start in range(0, len(positions), INSERT_CHUNK):
            result = self.session.execute(
                update(t)
                .where(
                    t.c.sms_id == sms_id,
                    t.c.position.in_(list(positions[start : start + INSERT_CHUNK])),
                    t.c.state.in_([s.value for s in only_from]),
                )
                .values(state=to.value, state_changed_at=now, reason=reason)
            )
            moved += int(getattr(result, "rowcount", 0) or 0)
        return moved
