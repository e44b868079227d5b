"""Production planning: which accepted pieces go into which lot, and when."""

from __future__ import annotations

import logging

from postroom.domain.clock import Clock
from postroom.domain.model import Lot
from postroom.services.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

COMPOSE_LOT = "compose_lot"


def build_lots(*, uow_factory: UnitOfWorkFactory, clock: Clock, max_pieces: int) -> list[str]:
    """Allocate every accepted piece to new lots, asking for each lot to be composed."""
    lot_ids: list[str] = []
    while True:
        with uow_factory() as uow:
            pieces = uow.pieces.ready_for_lot(max_pieces)
            if not pieces:
                return lot_ids
            now = clock.now()
            lot = Lot(
                created_at=now,
                piece_count=len(pieces),
                page_count=sum(p.page_count for p in pieces),
            )
            uow.lots.add(lot)
            for piece in pieces:
                piece.allocate(lot.id, now)
            uow.outbox.add(COMPOSE_LOT, {"lot_id": lot.id}, now)
            uow.commit()
            lot_ids.append(lot.id)
            log.info("lot %s allocated with %d pieces", lot.id, len(pieces))
