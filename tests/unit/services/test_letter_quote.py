"""A letter's price before it is sent (services/letters.quote_new_letter): what submitting
it would charge, with the same refusals, and nothing stored."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from postroom.domain.errors import InvalidInput, PaymentRequired
from postroom.domain.model import PieceOptions, Plex, Postage, Recipient
from postroom.services import letters
from postroom.storage import tables
from tests.support.pdfs import make_pdf
from tests.unit.services.world import RECIPIENT, TEST_CREDIT_MINOR, World


def _quote(world: World, pdf: bytes, **kwargs: object) -> letters.LetterQuote:
    c = world.container
    return letters.quote_new_letter(
        uow=c.uow(),
        clock=world.clock,
        limits=c.limits,
        account_id=world.account_id,
        upload=io.BytesIO(pdf),
        prices=c.prices,
        **{"recipient": RECIPIENT, "options": PieceOptions(), **kwargs},  # type: ignore[arg-type]
    )


def _stored(world: World) -> tuple[int, int]:
    with world.container.engine.connect() as conn:
        pieces = conn.execute(select(func.count()).select_from(tables.mail_pieces)).scalar_one()
        documents = conn.execute(select(func.count()).select_from(tables.documents)).scalar_one()
    return int(pieces), int(documents)


@pytest.mark.parametrize(
    ("pages", "options"),
    [
        (1, PieceOptions()),
        (5, PieceOptions(plex=Plex.DUPLEX, color=True, postage=Postage.PRIORITY)),
    ],
    ids=["one_page", "five_pages_duplex_colour_priority"],
)
def test_the_quote_is_what_sending_charges_and_stores_nothing(
    world: World, pages: int, options: PieceOptions
) -> None:
    pdf = make_pdf(pages)

    quote = _quote(world, pdf, options=options)

    assert _stored(world) == (0, 0)
    assert quote.page_count == pages and quote.charged
    assert quote.credit_minor == TEST_CREDIT_MINOR
    sent = world.submit(pdf=pdf, options=options)
    assert _stored(world) == (1, 1)
    assert quote.piece.price_minor == sent.price_minor and sent.price_minor
    assert (quote.piece.sheets, quote.piece.weight_g) == (sent.sheets, sent.weight_g)
    assert quote.piece.expected_post_date == sent.expected_post_date


def test_more_pages_cost_more(world: World) -> None:
    one = _quote(world, make_pdf(1)).piece.price_minor
    nine = _quote(world, make_pdf(9)).piece.price_minor
    assert one is not None and nine is not None and nine > one


def test_the_quote_refuses_what_sending_refuses(world: World) -> None:
    with pytest.raises(InvalidInput) as bad_address:
        broken = Recipient(("Bo Ek",), ("Kungsgatan 5",), "4119", "Göteborg", "SE")
        _quote(world, make_pdf(1), recipient=broken)
    assert bad_address.value.code.startswith("invalid_address")
    with pytest.raises(InvalidInput):
        _quote(world, b"not a pdf")
    with world.container.uow() as uow:
        account = uow.accounts.get(world.account_id)
        assert account is not None
        account.credit_minor = 1
        uow.commit()
    with pytest.raises(PaymentRequired) as poor:
        _quote(world, make_pdf(1))
    assert poor.value.code == "credit_exceeded"
    assert _stored(world) == (0, 0)
