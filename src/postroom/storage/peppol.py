"""The Peppol participant registry's queries: an account's known participants, searched by
name, identifier or a VAT number that holds one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, literal, or_, select
from sqlalchemy.orm import Session

from postroom.domain.peppol import Participant
from postroom.storage import tables

MIN_CONTAINED = 6  # an identifier found inside a longer query (a VAT number) has this many


class PeppolRepository:
    """Adds, replaces, removes, lists and searches (account, scheme, value) participants."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, account_id: str, participant: Participant, now: datetime) -> None:
        """Register the participant (replacing what was kept under its identifier)."""
        self.remove(account_id, participant.scheme, participant.value)
        self.session.execute(
            tables.peppol_participants.insert().values(
                account_id=account_id,
                scheme=participant.scheme,
                value=participant.value,
                name=participant.name,
                country=participant.country,
                document_types=list(participant.document_types),
                created_at=now,
            )
        )

    def remove(self, account_id: str, scheme: str, value: str) -> bool:
        """Forget one participant; True when it was registered."""
        t = tables.peppol_participants
        result = self.session.execute(
            delete(t).where(t.c.account_id == account_id, t.c.scheme == scheme, t.c.value == value)
        )
        return bool(getattr(result, "rowcount", 0))

    def listed(self, account_id: str, *, limit: int) -> list[Participant]:
        """The account's participants by identifier."""
        t = tables.peppol_participants
        stmt = select(t).where(t.c.account_id == account_id)
        return self._read(stmt.order_by(t.c.scheme, t.c.value).limit(limit))

    def search(self, account_id: str, name: str, digits: str, *, limit: int) -> list[Participant]:
        """Participants whose name holds `name` (any case), or whose identifier value is
        `digits` or is held in it (an organisation number in a VAT number)."""
        t = tables.peppol_participants
        wanted = [func.lower(t.c.name).contains(name.lower(), autoescape=True)] if name else []
        if digits:
            wanted.append(t.c.value == digits)
            if len(digits) > MIN_CONTAINED:
                wanted.append(
                    literal(digits).contains(t.c.value) & (func.length(t.c.value) >= MIN_CONTAINED)
                )
        if not wanted:
            return []
        stmt = select(t).where(t.c.account_id == account_id, or_(*wanted))
        return self._read(stmt.order_by(t.c.scheme, t.c.value).limit(limit))

    def _read(self, stmt: Any) -> list[Participant]:
        return [
            Participant(
                scheme=row.scheme,
                value=row.value,
                name=row.name,
                country=row.country,
                document_types=tuple(row.document_types or ()),
                registered_at=row.created_at,
            )
            for row in self.session.execute(stmt)
        ]
