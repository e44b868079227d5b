"""What the sandbox's automatic story needs: sandbox pieces and shipments still moving."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from postroom.domain.model import Account, MailPiece
from postroom.domain.states import PieceState
from postroom.domain.tracking import FINAL_STATUSES, Shipment
from postroom.storage import tables
from postroom.storage.repositories import on_channels

BATCH = 500  # rows per pass: a large sandbox campaign moves over several passes


class SandboxRepository:
    """Sandbox accounts, and their pieces and shipments the story has not finished."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def accounts(self) -> Sequence[Account]:
        """Every sandbox account (their clocks differ)."""
        return self.session.scalars(select(Account).where(tables.accounts.c.sandbox)).all()

    def pieces(
        self,
        account_id: str,
        states: Sequence[PieceState],
        *,
        channels: Sequence[str],
        default_channel: str,
    ) -> Sequence[MailPiece]:
        """The account's pieces in these states that go by these (lot) channels (pieces of
        other channels have their own stage), oldest change first."""
        p, s = tables.mail_pieces.c, tables.services.c
        return self.session.scalars(
            select(MailPiece)
            .outerjoin(tables.services, p.service_id == s.id)
            .where(and_(p.account_id == account_id, p.state.in_(list(states))))
            .where(on_channels(s.id, s.channel, channels, default_channel))
            .order_by(p.updated_at, p.id)
            .limit(BATCH)
        ).all()

    def moving_shipments(self, account_id: str) -> Sequence[Shipment]:
        """The account's shipments of its pieces whose status is not final yet."""
        sh = tables.shipments.c
        return self.session.scalars(
            select(Shipment)
            .where(
                and_(
                    sh.account_id == account_id,
                    sh.piece_id.is_not(None),
                    sh.status.not_in(list(FINAL_STATUSES)),
                )
            )
            .order_by(sh.status_at, sh.id)
            .limit(BATCH)
        ).all()
