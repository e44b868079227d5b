"""Lots: which pieces are due, how they are grouped, presorted and capped."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest

from postroom.domain.catalog import Environment, Service
from postroom.domain.errors import Conflict
from postroom.domain.lots import LotCandidate, ServiceTerms
from postroom.domain.model import (
    Batch,
    Document,
    MailPiece,
    PieceOptions,
    Plex,
    Postage,
    Recipient,
)
from postroom.domain.states import DocumentState, LotState, PieceState
from postroom.services import letters, production
from postroom.services.production import is_due, plan_lots
from tests.unit.services.world import World, accepted

# 2026-03-02 is a Monday; Stockholm is UTC+1 in March, so a 16:00 cut-off is 15:00 UTC.
DAY = date(2026, 3, 2)
STOCKHOLM = ServiceTerms(
    channel="print_local", immediate=False, cut_off="16:00", timezone="Europe/Stockholm"
)


def candidate(
    n: int,
    *,
    country: str = "SE",
    postal: str = "111 22",
    sheets: int = 1,
    pages: int = 1,
    options: PieceOptions | None = None,
    service: ServiceTerms | None = None,
    output_date: date | None = None,
) -> LotCandidate:
    return LotCandidate(
        piece_id=f"p{n:03d}",
        created_at=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=n),
        options=options or PieceOptions(),
        country=country,
        postal_code=postal,
        sheets=sheets,
        page_count=pages,
        output_date=output_date,
        service=service,
    )


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


class TestDue:
    def test_a_piece_without_service_or_output_date_is_due_at_once(self) -> None:
        assert is_due(candidate(1), at(3))
        assert is_due(candidate(1, service=STOCKHOLM), at(3))

    def test_a_piece_waits_for_its_days_cut_off_in_the_services_time_zone(self) -> None:
        piece = candidate(1, service=STOCKHOLM, output_date=DAY)
        assert not is_due(piece, at(14, 59))
        assert is_due(piece, at(15, 0))  # 16:00 in Stockholm

    def test_the_operators_extra_run_skips_the_cut_off_but_not_the_day(self) -> None:
        today = candidate(1, service=STOCKHOLM, output_date=DAY)
        tomorrow = candidate(2, service=STOCKHOLM, output_date=DAY + timedelta(days=1))
        assert is_due(today, at(8), ignore_cut_off=True)
        assert not is_due(tomorrow, at(8), ignore_cut_off=True)

    def test_an_immediate_service_produces_as_soon_as_its_day_has_come(self) -> None:
        terms = ServiceTerms("print_local", True, "16:00", "Europe/Stockholm")
        assert is_due(candidate(1, service=terms, output_date=DAY), at(8))
        assert not is_due(candidate(1, service=terms, output_date=DAY + timedelta(1)), at(8))

    def test_the_local_day_decides_not_the_utc_day(self) -> None:
        # 23:30 UTC on the 1st is already the 2nd in Stockholm.
        terms = ServiceTerms("print_local", True, "16:00", "Europe/Stockholm")
        assert is_due(candidate(1, service=terms, output_date=DAY), at(23, 30, DAY - timedelta(1)))


class TestPlan:
    def test_pieces_are_grouped_by_channel_and_physical_options(self) -> None:
        duplex = PieceOptions(plex=Plex.DUPLEX)
        registered = PieceOptions(postage=Postage.REGISTERED)
        other_channel = ServiceTerms("email_smtp", True, "16:00", "UTC")
        plans = plan_lots(
            [
                candidate(1),
                candidate(2, options=duplex),
                candidate(3),
                candidate(4, options=registered),
                candidate(5, service=other_channel),
                candidate(6, options=PieceOptions(envelope="C4")),
                candidate(7, options=PieceOptions(color=True, paper="100g")),
            ],
            now=at(9),
            max_pieces=100,
            max_sheets=100,
        )
        groups = {p.piece_ids: p.group.to_dict() for p in plans}
        assert groups[("p001", "p003")]["plex"] == "simplex"
        assert groups[("p002",)]["plex"] == "duplex"
        assert groups[("p004",)]["postage"] == "registered"
        assert groups[("p005",)]["channel"] == "email_smtp"
        assert groups[("p006",)]["envelope"] == "C4"
        assert (groups[("p007",)]["color"], groups[("p007",)]["paper"]) == (True, "100g")
        assert len(plans) == 6

    def test_a_piece_without_an_envelope_groups_with_those_naming_its_layouts(self) -> None:
        din = ServiceTerms("print_local", True, "16:00", "Europe/Stockholm", layout="din5008_a")
        plans = plan_lots(
            [
                candidate(1, service=din),
                candidate(2, service=din, options=PieceOptions(envelope="DL")),
                candidate(3, service=din, options=PieceOptions(envelope="C5")),
                candidate(4),  # no service: its envelope is not known here
            ],
            now=at(9),
            max_pieces=100,
            max_sheets=100,
        )
        assert {p.piece_ids: p.group.envelope for p in plans} == {
            ("p001", "p002"): "DL",
            ("p003",): "C5",
            ("p004",): "",
        }

    def test_a_lot_is_presorted_by_country_then_postal_code(self) -> None:
        plans = plan_lots(
            [
                candidate(1, country="SE", postal="981 30"),
                candidate(2, country="NO", postal="0150"),
                candidate(3, country="SE", postal="111 22"),
                candidate(4, country="DK", postal="2100"),
                candidate(5, country="SE", postal="11122"),
            ],
            now=at(9),
            max_pieces=100,
            max_sheets=100,
        )
        (plan,) = plans
        assert plan.piece_ids == ("p004", "p002", "p003", "p005", "p001")

    def test_lots_are_capped_by_pieces_and_by_sheets(self) -> None:
        pieces = [candidate(i, sheets=3) for i in range(1, 8)]
        by_pieces = plan_lots(pieces, now=at(9), max_pieces=3, max_sheets=1000)
        assert [len(p.piece_ids) for p in by_pieces] == [3, 3, 1]
        by_sheets = plan_lots(pieces, now=at(9), max_pieces=100, max_sheets=7)
        assert [p.sheets for p in by_sheets] == [6, 6, 6, 3]

    def test_an_old_piece_without_sheets_counts_its_pages(self) -> None:
        plans = plan_lots(
            [candidate(1, sheets=0, pages=5), candidate(2, sheets=0, pages=5)],
            now=at(9),
            max_pieces=100,
            max_sheets=8,
        )
        assert [p.sheets for p in plans] == [5, 5]

    def test_a_piece_larger_than_the_sheet_cap_gets_a_lot_of_its_own(self) -> None:
        plans = plan_lots(
            [candidate(1, sheets=50), candidate(2)], now=at(9), max_pieces=10, max_sheets=10
        )
        assert [p.piece_ids for p in plans] == [("p001",), ("p002",)]

    def test_pieces_not_due_are_left_out(self) -> None:
        waiting = candidate(1, service=STOCKHOLM, output_date=DAY)
        plans = plan_lots([waiting, candidate(2)], now=at(9), max_pieces=10, max_sheets=10)
        assert [p.piece_ids for p in plans] == [("p002",)]


def _service(world: World, *, immediate: bool = False, layout: str = "") -> str:
    service = Service(
        environment=Environment.LIVE,
        code="letter_economy_test",
        name="Letter",
        channel="print_local",
        profile="postroom",
        layout=layout,
        created_at=world.clock.now(),
        immediate=immediate,
        cut_off="16:00",
        timezone="Europe/Stockholm",
    )
    with world.container.uow() as uow:
        uow.catalog.add(service)
        uow.commit()
    return service.id


def _accepted_pieces(
    world: World,
    count: int,
    *,
    service_id: str | None = None,
    output_date: date | None = None,
    postal: str = "111 22",
    batch_id: str | None = None,
    options: PieceOptions | None = None,
) -> list[str]:
    """Accepted pieces written straight through the unit of work (no preflight needed)."""
    now = world.clock.now()
    with world.container.uow() as uow:
        document = Document(
            account_id=world.account_id,
            blob_sha256=hashlib.sha256(b"x").hexdigest(),
            filename="x.pdf",
            size_bytes=1,
            page_count=count,
            created_at=now,
            state=DocumentState.CHECKED,
        )
        uow.pieces.add(document)
        pieces = [
            MailPiece(
                account_id=world.account_id,
                document_id=document.id,
                recipient=Recipient(("A",), ("Gatan 1",), postal, "Stad", "SE"),
                options=options or PieceOptions(),
                page_count=2,
                created_at=now + timedelta(microseconds=i),
                updated_at=now,
                state=PieceState.ACCEPTED,
                first_page=i + 1,
                service_id=service_id,
                output_date=output_date,
                sheets=1,
                batch_id=batch_id,
            )
            for i in range(count)
        ]
        uow.pieces.add_all(pieces)
        uow.commit()
    return [p.id for p in pieces]


class TestBuildLots:
    def test_pieces_wait_for_the_cut_off_on_the_clock(self, world: World) -> None:
        world.clock.advance(at(14, 0) - world.clock.now())  # 15:00 in Stockholm
        service_id = _service(world)
        ids = _accepted_pieces(world, 3, service_id=service_id, output_date=DAY)
        assert world.build_lots() == []
        world.clock.advance(timedelta(hours=1))  # 16:00 in Stockholm
        (lot_id,) = world.build_lots()
        lot = world.lot(lot_id)
        assert (lot.piece_count, lot.sheet_count, lot.page_count) == (3, 3, 6)
        assert lot.group_key == {
            "channel": "print_local",
            "envelope": "",
            "plex": "simplex",
            "color": False,
            "postage": "economy",
            "paper": "80g",
        }
        assert {world.piece(i).lot_id for i in ids} == {lot_id}

    def test_the_default_envelope_and_the_same_one_named_share_a_lot(self, world: World) -> None:
        service_id = _service(world, immediate=True, layout="din5008_a")
        default = _accepted_pieces(world, 2, service_id=service_id)
        named = _accepted_pieces(
            world, 2, service_id=service_id, options=PieceOptions(envelope="DL")
        )
        (lot_id,) = world.build_lots()
        assert world.lot(lot_id).group_key["envelope"] == "DL"
        assert {world.piece(i).lot_id for i in default + named} == {lot_id}

    def test_the_operators_extra_run_does_not_wait_for_the_cut_off(self, world: World) -> None:
        world.clock.advance(at(8, 0) - world.clock.now())
        service_id = _service(world)
        _accepted_pieces(world, 2, service_id=service_id, output_date=DAY)
        later = _accepted_pieces(
            world, 1, service_id=service_id, output_date=DAY + timedelta(days=1)
        )
        lot_ids = production.build_lots(
            uow_factory=world.container.uow,
            clock=world.clock,
            channels=world.container.channels,
            max_pieces=100,
            ignore_cut_off=True,
        )
        assert [world.lot(i).piece_count for i in lot_ids] == [2]
        assert world.piece(later[0]).state is PieceState.ACCEPTED

    def test_a_lot_is_composed_in_presort_order(self, world: World) -> None:
        south = _accepted_pieces(world, 1, postal="211 20")
        north = _accepted_pieces(world, 1, postal="981 30")
        middle = _accepted_pieces(world, 1, postal="411 01")
        (lot_id,) = world.build_lots()
        with world.container.uow() as uow:
            order = [p.id for p in uow.pieces.in_lot(lot_id)]
        assert order == [*south, *middle, *north]

    def test_caps_come_from_both_pieces_and_sheets(self, world: World) -> None:
        _accepted_pieces(world, 5)
        lot_ids = production.build_lots(
            uow_factory=world.container.uow,
            clock=world.clock,
            channels=world.container.channels,
            max_pieces=4,
            max_sheets=2,
        )
        assert [world.lot(i).sheet_count for i in lot_ids] == [2, 2, 1]

    def test_a_piece_taken_by_another_builder_is_not_allocated_twice(self, world: World) -> None:
        ids = _accepted_pieces(world, 2)
        with world.container.uow() as uow:
            plans = production.plan_lots(
                uow.lots.candidates(
                    produce_by=DAY + timedelta(days=400),
                    channels=["print_local"],
                    default_channel="print_local",
                ),
                now=world.clock.now(),
                max_pieces=10,
                max_sheets=10,
            )
        first = world.build_lots()
        # A second builder with the same (now stale) plan finds nothing still accepted.
        assert production._allocate(world.container.uow(), world.clock, plans[0]) is None
        assert len(first) == 1
        assert {world.piece(i).lot_id for i in ids} == {first[0]}
        assert world.lot(first[0]).state is LotState.COMPOSING


class TestCancellation:
    def test_a_batch_piece_is_cancellable_until_it_is_allocated(self, world: World) -> None:
        batch = Batch(account_id=world.account_id, name="campaign", created_at=world.clock.now())
        with world.container.uow() as uow:
            uow.pieces.add(batch)
            uow.commit()
        (piece_id,) = _accepted_pieces(world, 1, batch_id=batch.id)
        cancelled = letters.cancel_letter(
            uow=world.container.uow(),
            clock=world.clock,
            account_id=world.account_id,
            piece_id=piece_id,
        )
        assert cancelled.state is PieceState.CANCELLED
        assert world.build_lots() == []

    def test_an_allocated_piece_is_not_cancellable(self, world: World) -> None:
        (piece,) = accepted(world, 1)
        world.build_lots()
        with pytest.raises(Conflict) as raised:
            letters.cancel_letter(
                uow=world.container.uow(),
                clock=world.clock,
                account_id=world.account_id,
                piece_id=piece.id,
            )
        assert raised.value.code == "not_cancellable"
