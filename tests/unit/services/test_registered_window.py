"""Registered mail's address limits hold for an address read from the window too, not only
for one given with the letter (tests/integration/api/test_registered_mail.py)."""

from __future__ import annotations

import io

from postroom.domain.geometry import LAYOUTS
from postroom.domain.model import PieceOptions, Postage
from postroom.domain.states import PieceState
from postroom.services import letters
from tests.support.letters import make_letter
from tests.unit.services.world import World

LONG_NAME = "Anna-Karin Svensson-Lindqvist Andersson"  # 39 characters: over 35


def send_window_letter(world: World, name: str, postage: Postage) -> str:
    c = world.container
    pdf = make_letter([name, "Storgatan 1", "111 22 Stockholm"], LAYOUTS["din5008_a"])
    piece = letters.submit_letter(
        uow=c.uow(),
        blobs=c.blobs,
        clock=world.clock,
        limits=c.limits,
        account_id=world.account_id,
        upload=io.BytesIO(pdf),
        filename="letter.pdf",
        recipient=None,
        options=PieceOptions(postage=postage),
    )
    world.check(piece)
    return piece.id


def test_a_registered_letter_whose_window_name_is_too_long_fails_with_the_limit(
    world: World,
) -> None:
    piece = world.piece(send_window_letter(world, LONG_NAME, Postage.REGISTERED))
    assert piece.address_source == "window"
    assert piece.recipient is not None and piece.recipient.name_lines == (LONG_NAME,)
    assert piece.state is PieceState.FAILED
    assert piece.failure_code == "registered_line_too_long"
    assert "at most 35 characters" in (piece.failure_reason or "")
    assert piece.eligible is False


def test_the_same_window_address_is_fine_for_a_letter_not_registered(world: World) -> None:
    piece = world.piece(send_window_letter(world, LONG_NAME, Postage.PRIORITY))
    assert piece.state is PieceState.ACCEPTED
    assert piece.recipient is not None and piece.recipient.name_lines == (LONG_NAME,)


def test_a_registered_letter_within_the_limits_is_accepted_from_its_window(
    world: World,
) -> None:
    piece = world.piece(send_window_letter(world, "Anna Svensson", Postage.REGISTERED))
    assert piece.state is PieceState.ACCEPTED
    assert piece.recipient is not None and piece.recipient.postal_code.replace(" ", "") == "11122"
