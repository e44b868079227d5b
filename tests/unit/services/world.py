"""A small world for pipeline tests: a container on fresh SQLite, a clock, one account."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from postroom.bootstrap import Container, build_container
from postroom.channels.base import Channel, Takes
from postroom.config import SQLITE_FILE, Settings
from postroom.domain.clock import FixedClock
from postroom.domain.model import Lot, MailPiece, PieceOptions, Recipient
from postroom.domain.records import OutboxMessage
from postroom.services import accounts, composition, intake, letters, pipeline, production
from postroom.services.intake import Analyser
from postroom.services.stages import CHECK_PIECE, COMPOSE_LOT
from postroom.storage import tables
from tests.support.pdfs import make_pdf

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# Letters are charged when accepted: the world's account can pay for everything it sends.
TEST_CREDIT_MINOR = 10**12
REDELIVER_AFTER = timedelta(minutes=10)
RECIPIENT = Recipient(
    name_lines=("Anna Svensson",),
    street_lines=("Storgatan 1",),
    postal_code="111 22",
    city="Stockholm",
    country="SE",
)


class OnlyChannel:
    """A channel directory that answers every name with one channel: a test's wrapper
    around the real print channel (counting, or crashing at a chosen point)."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def get(self, name: str) -> Channel:
        return self.channel

    def names(self, takes: Takes | None = None) -> tuple[str, ...]:
        return (self.channel.name,)


@dataclass
class World:
    """A container on a fresh SQLite database, a clock the test moves, and one account."""

    container: Container
    clock: FixedClock
    account_id: str

    def submit(
        self,
        pages: int = 1,
        label: str = "Letter",
        service: str | None = None,
        recipient: Recipient | None = RECIPIENT,
        *,
        pdf: bytes | None = None,
        options: PieceOptions | None = None,
    ) -> MailPiece:
        """Submit a letter, one second after the previous one so their order is known: `pdf`,
        or one of `pages` pages saying `label` (its window blank)."""
        self.clock.advance(timedelta(seconds=1))
        c = self.container
        return letters.submit_letter(
            uow=c.uow(),
            blobs=c.blobs,
            clock=self.clock,
            limits=c.limits,
            account_id=self.account_id,
            upload=io.BytesIO(pdf if pdf is not None else make_pdf(pages, label=label)),
            filename="letter.pdf",
            recipient=recipient,
            options=options or PieceOptions(),
            service=service,
        )

    def piece(self, piece_id: str) -> MailPiece:
        with self.container.uow() as uow:
            piece = uow.pieces.get_by_id(piece_id)
        assert piece is not None
        return piece

    def lot(self, lot_id: str) -> Lot:
        with self.container.uow() as uow:
            lot = uow.lots.get(lot_id)
        assert lot is not None
        return lot

    def rows(self, table: Any, *where: Any) -> list[Any]:
        with self.container.engine.connect() as conn:
            return list(conn.execute(select(table).where(*where).order_by(*table.primary_key)))

    def message_id(self, actor: str, **payload: str) -> int:
        (row,) = [r for r in self.rows(tables.outbox) if r.actor == actor and r.payload == payload]
        return int(row.id)

    def check(
        self, piece: MailPiece, message_id: int | None = None, analyse: Analyser | None = None
    ) -> None:
        """Run the check stage of a letter (with the container's analyser, or `analyse`)."""
        c = self.container
        pipeline.check_piece(
            uow_factory=c.uow,
            blobs=c.blobs,
            clock=self.clock,
            analyse=analyse or c.analyse,
            piece_id=piece.id,
            message_id=message_id or self.message_id(CHECK_PIECE, piece_id=piece.id),
        )

    def preflight(self, document_id: str, analyse: Analyser | None = None) -> None:
        """Run the preflight stage of an uploaded document (with the container's analyser,
        or `analyse`), as the worker would on its outbox message."""
        c = self.container
        intake.preflight_document(
            uow_factory=c.uow,
            blobs=c.blobs,
            clock=self.clock,
            analyse=analyse or c.analyse,
            document_id=document_id,
            message_id=self.message_id(intake.PREFLIGHT_DOCUMENT, document_id=document_id),
        )

    def build_lots(self, max_pieces: int = 100) -> list[str]:
        return production.build_lots(
            uow_factory=self.container.uow,
            clock=self.clock,
            channels=self.container.channels,
            max_pieces=max_pieces,
        )

    def compose(
        self, lot_id: str, channel: Channel | None = None, message_id: int | None = None
    ) -> None:
        c = self.container
        composition.compose_lot(
            uow=c.uow(),
            blobs=c.blobs,
            clock=self.clock,
            channels=c.channels if channel is None else OnlyChannel(channel),
            lot_id=lot_id,
            message_id=message_id or self.message_id(COMPOSE_LOT, lot_id=lot_id),
        )

    @property
    def print_channel(self) -> Channel:
        return self.container.channels.get("print_local")

    def relay(self, sent: list[OutboxMessage]) -> int:
        return pipeline.relay_outbox(
            uow=self.container.uow(),
            clock=self.clock,
            publish=sent.append,
            redeliver_after=REDELIVER_AFTER,
        )

    def version(self, piece_id: str) -> int:
        (row,) = self.rows(tables.mail_pieces, tables.mail_pieces.c.id == piece_id)
        return int(row.version)


def open_world(
    tmp_path: Path, *, database: Path | None = None, **overrides: Any
) -> Iterator[World]:
    """A fresh world (settings changed by `overrides`), closed after the test; its database
    starts as a copy of `database` (the run's migrated one) when given."""
    clock = FixedClock(T0)
    if database is not None:
        (tmp_path / "data").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(database, tmp_path / "data" / SQLITE_FILE)
    settings = Settings(
        **{
            "data_dir": tmp_path / "data",
            "database_url": "",
            "broker_url": "",
            "storage_url": "",
            **overrides,
        }
    )
    container = build_container(settings, clock=clock)
    account = accounts.create_account(
        uow=container.uow(), clock=clock, name="Kommun", credit_minor=TEST_CREDIT_MINOR
    )
    yield World(container=container, clock=clock, account_id=account.id)
    container.close()


def accepted(world: World, count: int) -> list[MailPiece]:
    """`count` checked pieces of 1, 2, ... pages, oldest first."""
    pieces = [world.submit(pages=i + 1, label=f"P{i}") for i in range(count)]
    for piece in pieces:
        world.check(piece)
    return pieces
