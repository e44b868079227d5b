"""The dashboard's read queries: counts grouped in the database, pages cut by it, and one
subject's feed entries. Nothing here loads rows to count them in Python."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from postroom.domain.model import MailPiece
from postroom.domain.states import PieceState
from postroom.domain.tracking import Change
from postroom.storage import tables


def _matching(
    account_id: str,
    state: PieceState | None,
    reference: str | None,
    ineligible_in: Collection[PieceState] | None,
    created: tuple[datetime | None, datetime | None] = (None, None),
) -> list[Any]:
    t = tables.mail_pieces.c
    where: list[Any] = [t.account_id == account_id]
    if ineligible_in is not None:
        where.extend([t.eligible.is_(False), t.state.in_(list(ineligible_in))])
    if state is not None:
        where.append(t.state == state)
    if created[0] is not None:
        where.append(t.created_at >= created[0])
    if created[1] is not None:
        where.append(t.created_at < created[1])
    if reference:
        # The recipient is JSON: its first name line and postal code read as text by the
        # database (json_extract on SQLite, #>> on PostgreSQL).
        recipient = type_coerce(t.recipient, JSON)
        where.append(
            or_(
                t.client_reference.icontains(reference, autoescape=True),
                t.tracking_reference.icontains(reference, autoescape=True),
                t.id == reference,
                recipient[("name_lines", 0)].as_string().icontains(reference, autoescape=True),
                recipient[("postal_code",)].as_string().icontains(reference, autoescape=True),
            )
        )
    return where


class DashboardQueries:
    """Read-only queries for the dashboard, each scoped to one account."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def state_counts(
        self, account_id: str, *, since: datetime
    ) -> dict[tuple[PieceState, bool | None], int]:
        """How many of the account's pieces created since `since` are in each (state,
        eligible) pair, counted by the database."""
        t = tables.mail_pieces.c
        rows = self.session.execute(
            select(t.state, t.eligible, func.count())
            .where(t.account_id == account_id, t.created_at >= since)
            .group_by(t.state, t.eligible)
        ).all()
        return {(PieceState(r[0]), r[1]): int(r[2]) for r in rows}

    def daily_counts(self, account_id: str, *, since: datetime) -> dict[date, int]:
        """Pieces created per UTC day since `since` (days without any are absent)."""
        t = tables.mail_pieces.c
        # Times are stored as UTC without a zone: date() is the UTC day on both engines
        # (SQLite answers text, PostgreSQL a date).
        day = func.date(t.created_at)
        rows = self.session.execute(
            select(day, func.count())
            .where(t.account_id == account_id, t.created_at >= since)
            .group_by(day)
        ).all()
        return {
            (r[0] if isinstance(r[0], date) else date.fromisoformat(str(r[0]))): int(r[1])
            for r in rows
        }

    def needing_attention(
        self,
        account_id: str,
        *,
        since: datetime,
        states: Collection[PieceState],
        ineligible_in: Collection[PieceState],
        limit: int,
    ) -> Sequence[MailPiece]:
        """The newest pieces created since `since` that are in one of `states`, or not
        eligible while in one of `ineligible_in`."""
        t = tables.mail_pieces.c
        stmt = (
            select(MailPiece)
            .where(
                t.account_id == account_id,
                t.created_at >= since,
                or_(
                    t.state.in_(list(states)),
                    and_(t.eligible.is_(False), t.state.in_(list(ineligible_in))),
                ),
            )
            .order_by(t.updated_at.desc(), t.id.desc())
            .limit(limit)
        )
        return self.session.scalars(stmt).all()

    def search(
        self,
        account_id: str,
        *,
        state: PieceState | None,
        reference: str | None,
        ineligible_in: Collection[PieceState] | None = None,
        created: tuple[datetime | None, datetime | None] = (None, None),
        offset: int,
        limit: int,
    ) -> Sequence[MailPiece]:
        """A page of the account's pieces, newest first, cut by the database (with
        `ineligible_in`, only those not eligible in one of these states)."""
        t = tables.mail_pieces.c
        stmt = (
            select(MailPiece)
            .where(*_matching(account_id, state, reference, ineligible_in, created))
            .order_by(t.created_at.desc(), t.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return self.session.scalars(stmt).all()

    def count_matching(
        self,
        account_id: str,
        *,
        state: PieceState | None,
        reference: str | None,
        ineligible_in: Collection[PieceState] | None = None,
        created: tuple[datetime | None, datetime | None] = (None, None),
    ) -> int:
        """How many of the account's pieces `search` would page through."""
        stmt = (
            select(func.count())
            .select_from(tables.mail_pieces)
            .where(*_matching(account_id, state, reference, ineligible_in, created))
        )
        return int(self.session.execute(stmt).scalar_one())

    def changes_of(
        self, account_id: str, subject_type: str, subject_id: str, *, limit: int
    ) -> list[Change]:
        """One subject's entries of the account's change feed, oldest first."""
        c = tables.changes.c
        rows = self.session.execute(
            select(tables.changes)
            .where(
                c.account_id == account_id,
                c.subject_type == subject_type,
                c.subject_id == subject_id,
            )
            .order_by(c.seq)
            .limit(limit)
        ).all()
        return [
            Change(r.seq, r.created_at, r.subject_type, r.subject_id, r.kind, r.status, r.data)
            for r in rows
        ]
