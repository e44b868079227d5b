"""Builds a composed lot of many transferred pieces straight through the unit of work, so a
test of 10,000 pieces spends its time on feedback, not on uploads and composition."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from postroom.bootstrap import Container
from postroom.domain.model import (
    Document,
    Lot,
    MailPiece,
    PieceOptions,
    Postage,
    Recipient,
)
from postroom.domain.states import DocumentState, LotState, PieceState

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PRINT_SHA = hashlib.sha256(b"print file of the lot").hexdigest()


@dataclass(frozen=True)
class ProducedLot:
    """A composed lot and its transferred pieces, in creation order."""

    lot_id: str
    piece_ids: list[str]
    tracking: dict[str, str]  # piece id -> tracking reference (registered pieces only)


def produced_lot(container: Container, account_id: str, count: int) -> ProducedLot:
    """A composed lot of `count` transferred pieces; every tenth is registered mail."""
    with container.uow() as uow:
        document = Document(
            account_id=account_id,
            blob_sha256=hashlib.sha256(b"source").hexdigest(),
            filename="campaign.pdf",
            size_bytes=1,
            page_count=count,
            created_at=T0,
            state=DocumentState.CHECKED,
        )
        lot = Lot(
            created_at=T0,
            piece_count=count,
            page_count=count,
            state=LotState.COMPOSED,
            pdf_sha256=PRINT_SHA,
            composed_at=T0,
            sheet_count=count,
            files={"print.pdf": PRINT_SHA},
        )
        uow.pieces.add(document)
        uow.lots.add(lot)
        pieces = []
        tracking: dict[str, str] = {}
        for i in range(count):
            registered = i % 10 == 0
            piece = MailPiece(
                account_id=account_id,
                document_id=document.id,
                recipient=Recipient(
                    name_lines=(f"Recipient {i}",),
                    street_lines=("Storgatan 1",),
                    postal_code=f"{11000 + i % 8000:05d}",
                    city="Stockholm",
                    country="SE",
                ),
                options=PieceOptions(postage=Postage.REGISTERED if registered else Postage.ECONOMY),
                page_count=1,
                created_at=T0 + timedelta(microseconds=i),
                updated_at=T0,
                state=PieceState.TRANSFERRED,
                lot_id=lot.id,
                first_page=i + 1,
                eligible=True,
                sheets=1,
                weight_g=5,
                price_minor=1200,
                tracking_reference=f"RR{i:09d}SE" if registered else None,
            )
            if piece.tracking_reference:
                tracking[piece.id] = piece.tracking_reference
            pieces.append(piece)
        uow.pieces.add_all(pieces)
        uow.commit()
    return ProducedLot(lot.id, [p.id for p in pieces], tracking)
