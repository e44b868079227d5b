"""One letter of a print file given its own options before the batch is sent
(services/job_groups.choose_piece_options): closing the batch keeps them for that letter
and gives the batch's options to the others; the quote before sending prices it so."""

from __future__ import annotations

import io

import pytest

from postroom.documents.split import SplitKind, SplitRule
from postroom.domain.errors import Conflict, NotFound
from postroom.domain.geometry import layout_for
from postroom.domain.model import MailPiece, PieceOptions, Plex, Postage
from postroom.services import intake, job_groups, order
from tests.integration.intake.helpers import concat_pdfs
from tests.support.letters import make_letter
from tests.unit.services.world import World

LETTERS = [
    ["Anna Svensson", "Storgatan 1", "111 22 Stockholm"],
    ["Bo Ek", "Kungsgatan 2", "111 43 Stockholm"],
    ["Carl Berg", "Drottninggatan 5", "411 14 Göteborg"],
]
BATCH_OPTIONS = {"plex": "simplex", "color": False, "postage": "economy"}
OWN = PieceOptions(plex=Plex.DUPLEX, color=True, postage=Postage.PRIORITY)


def _checked_batch(world: World) -> tuple[str, list[MailPiece]]:
    """A batch of three 3-page letters, checked: its id and its pieces in file order."""
    c = world.container
    batch = intake.create_batch(
        uow=c.uow(), clock=world.clock, account_id=world.account_id, name="Run",
        profile="postroom", layout="din5008_a", default_country="SE",
    )  # fmt: skip
    data = concat_pdfs([make_letter(lines, layout_for("din5008_a"), pages=3) for lines in LETTERS])
    document = intake.upload_document(
        uow=c.uow(), blobs=c.blobs, clock=world.clock, limits=c.limits,
        account_id=world.account_id, upload=io.BytesIO(data), filename="run.pdf",
        profile="postroom", batch_id=batch.id, rule=SplitRule(SplitKind.EVERY_N, every=3),
    )  # fmt: skip
    world.preflight(document.id)
    pieces = intake.list_batch_pieces(
        uow=c.uow(), account_id=world.account_id, batch_id=batch.id, after=None, limit=10
    )
    assert [p.eligible for p in pieces] == [True] * 3
    return batch.id, list(pieces)


def _quote(world: World, batch_id: str) -> order.BatchQuote:
    c = world.container
    return order.quote_batch(
        uow=c.uow(), prices=c.prices, account_id=world.account_id, batch_id=batch_id,
        service_ref=c.settings.default_service, options=BATCH_OPTIONS,
    )  # fmt: skip


def _choose(world: World, batch_id: str, piece_id: str, options: PieceOptions | None) -> None:
    job_groups.choose_piece_options(
        uow=world.container.uow(), clock=world.clock, account_id=world.account_id,
        batch_id=batch_id, piece_id=piece_id, options=options,
    )  # fmt: skip


def test_one_letters_own_options_are_kept_and_the_others_take_the_batchs(world: World) -> None:
    batch_id, pieces = _checked_batch(world)
    before = _quote(world, batch_id)

    _choose(world, batch_id, pieces[1].id, OWN)

    after = _quote(world, batch_id)
    assert after.accepted == before.accepted == 3
    assert after.total_minor > before.total_minor  # duplex, colour, priority cost more
    c = world.container
    closed = order.close_batch(
        uow=c.uow(), clock=world.clock, prices=c.prices, account_id=world.account_id,
        batch_id=batch_id, service_ref=c.settings.default_service, options=BATCH_OPTIONS,
    )  # fmt: skip
    assert closed.total_minor == after.total_minor  # the price shown is the price charged
    sent = [world.piece(p.id) for p in pieces]
    assert [(p.options.plex, p.options.color, p.options.postage) for p in sent] == [
        (Plex.SIMPLEX, False, Postage.ECONOMY),
        (Plex.DUPLEX, True, Postage.PRIORITY),
        (Plex.SIMPLEX, False, Postage.ECONOMY),
    ]
    assert sent[1].own_options and not sent[0].own_options
    assert sent[1].sheets == 2 and sent[0].sheets == 3  # 3 pages: both sides, or one
    assert sent[0].price_minor == sent[2].price_minor
    assert sum(p.price_minor or 0 for p in sent) == closed.total_minor
    # Once sent, a letter's options are settled.
    with pytest.raises(Conflict) as settled:
        _choose(world, batch_id, pieces[0].id, OWN)
    assert settled.value.code == "batch_not_open"


def test_the_batchs_options_again(world: World) -> None:
    batch_id, pieces = _checked_batch(world)
    before = _quote(world, batch_id)
    _choose(world, batch_id, pieces[0].id, OWN)

    _choose(world, batch_id, pieces[0].id, None)

    assert not world.piece(pieces[0].id).own_options
    assert _quote(world, batch_id).total_minor == before.total_minor


def test_a_letter_of_another_batch_or_account_is_not_found(world: World) -> None:
    batch_id, pieces = _checked_batch(world)
    other_batch, _ = _checked_batch(world)
    with pytest.raises(NotFound):
        _choose(world, other_batch, pieces[0].id, OWN)
    with pytest.raises(NotFound):
        job_groups.choose_piece_options(
            uow=world.container.uow(), clock=world.clock, account_id="someone-else",
            batch_id=batch_id, piece_id=pieces[0].id, options=OWN,
        )  # fmt: skip
    assert not world.piece(pieces[0].id).own_options
