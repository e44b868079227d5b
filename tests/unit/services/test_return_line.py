"""The account's return line through the real pipeline (set, submit, check, build lots,
compose, preview): printed above the recipient where Postroom prints the address, left out
with a warning where the document has something in its place, and never for a letter that
carries its own address. The lot's pages are read with PDFium, as a print room would."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from postroom.documents.lot_files import PRINT_FILE
from postroom.documents.preview import PREVIEW_DPI, render_piece_preview
from postroom.documents.zones import zone_is_blank
from postroom.domain.geometry import RETURN_ADDRESS_ZONES, layout_for, return_line_zone
from postroom.domain.model import AddressPlacement, PieceOptions, Recipient
from postroom.domain.states import PieceState
from postroom.services import accounts, previews
from postroom.services.stages import COMPOSE_LOT
from tests.support.letters import make_letter
from tests.support.pdfs import TOUR_ADDRESS_LINES, TOUR_RECIPIENT, text_in_zone, tour_letter
from tests.unit.services.world import World

WINDOW = layout_for("din5008_a")  # the default profile's layout
RETURN_ZONE = RETURN_ADDRESS_ZONES[WINDOW.code]
ACME = "Acme Utilities, Box 12, 111 22 Stockholm"
ANNA = Recipient.from_dict(TOUR_RECIPIENT)
ANNA_LINES = TOUR_ADDRESS_LINES


def text_in_the_return_band() -> bytes:
    """A one-page letter saying "Hello from Postroom" at (72, 720): 43 mm from the top, in
    the foot of the Zusatz- und Vermerkzone where the return line goes, above the (blank)
    window. (The README's letter, lower down, leaves the band blank.)"""
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "Hello from Postroom")
    canvas.save()
    return buffer.getvalue()


# A letter as the README makes it: its text far below the window, nothing above it.
blank_top_letter = tour_letter


text_in = text_in_zone


def set_return_address(world: World, text: str = ACME) -> None:
    c = world.container
    accounts.set_return_address(uow=c.uow(), account_id=world.account_id, return_address=text)


def produce(world: World, piece_id: str) -> Path:
    """Check the letter, build its lot and compose it; the lot's print file."""
    world.check(world.piece(piece_id))
    assert world.piece(piece_id).state is PieceState.ACCEPTED, world.piece(piece_id).findings
    (lot_id,) = world.build_lots()
    world.compose(lot_id, message_id=world.message_id(COMPOSE_LOT, lot_id=lot_id))
    assert world.piece(piece_id).state is PieceState.TRANSFERRED
    return world.container.settings.output_dir / lot_id / PRINT_FILE


def codes(world: World, piece_id: str) -> list[str]:
    """The letter's finding codes but preflight's font_not_embedded (reportlab's Helvetica)."""
    return [f["code"] for f in world.piece(piece_id).findings if f["code"] != "font_not_embedded"]


def test_a_blank_window_letter_gets_the_return_line_above_its_address(world: World) -> None:
    set_return_address(world)
    piece = world.submit(recipient=ANNA, pdf=blank_top_letter())
    printed = produce(world, piece.id)
    letter = world.piece(piece.id)
    assert letter.options.address_placement is AddressPlacement.WINDOW
    assert letter.return_line == ACME
    assert letter.eligible is True
    assert codes(world, piece.id) == []
    assert text_in(printed, RETURN_ZONE) == [ACME]
    assert text_in(printed, WINDOW.address_zone) == ANNA_LINES  # only the recipient


def test_a_letter_with_something_where_the_return_line_goes_gets_a_warning_and_no_line(
    world: World,
) -> None:
    set_return_address(world)
    piece = world.submit(recipient=ANNA, pdf=text_in_the_return_band())
    printed = produce(world, piece.id)
    letter = world.piece(piece.id)
    assert letter.options.address_placement is AddressPlacement.WINDOW  # still goes
    assert letter.eligible is True
    assert letter.return_line == ""
    (warning,) = [f for f in letter.findings if f["code"] != "font_not_embedded"]
    assert (warning["code"], warning["severity"]) == ("return_line_not_printed", "warning")
    # Nothing of ours where the return line would go: only the document's own text.
    zone = return_line_zone(WINDOW)
    assert zone is not None
    assert text_in(printed, zone) == ["Hello from Postroom"]
    assert text_in(printed, WINDOW.address_zone) == ANNA_LINES


def test_a_letter_with_an_address_page_takes_the_return_line_whatever_its_window_holds(
    world: World,
) -> None:
    set_return_address(world)
    piece = world.submit(
        recipient=ANNA,
        pdf=text_in_the_return_band(),
        options=PieceOptions(address_placement=AddressPlacement.ADDRESS_PAGE),
    )
    printed = produce(world, piece.id)
    assert world.piece(piece.id).return_line == ACME
    assert codes(world, piece.id) == []
    assert text_in(printed, RETURN_ZONE, 0) == [ACME]  # the address page
    assert text_in(printed, WINDOW.address_zone, 0) == ANNA_LINES
    assert text_in(printed, RETURN_ZONE, 1) == ["Hello from Postroom"]  # the letter, as sent


def test_a_letter_that_carries_its_own_address_gets_nothing_of_ours(world: World) -> None:
    set_return_address(world)
    pdf = make_letter(ANNA_LINES, WINDOW, sender_lines=("Kommun", "Box 1", "111 11 Stockholm"))
    piece = world.submit(recipient=ANNA, pdf=pdf)
    printed = produce(world, piece.id)
    letter = world.piece(piece.id)
    assert letter.options.address_placement is AddressPlacement.AS_PRINTED
    assert letter.return_line == ""
    assert "return_line_not_printed" not in codes(world, piece.id)
    assert text_in(printed, RETURN_ZONE) == ["Kommun, Box 1, 111 11 Stockholm"]  # its own


def test_an_account_without_a_return_address_prints_none_and_is_not_warned(world: World) -> None:
    piece = world.submit(recipient=ANNA, pdf=text_in_the_return_band())
    printed = produce(world, piece.id)
    assert codes(world, piece.id) == []
    assert world.piece(piece.id).return_line == ""
    assert text_in(printed, RETURN_ZONE) == ["Hello from Postroom"]


def test_a_letter_keeps_the_return_line_it_was_accepted_with(world: World) -> None:
    set_return_address(world)
    piece = world.submit(recipient=ANNA, pdf=blank_top_letter())
    world.check(world.piece(piece.id))
    set_return_address(world, "Acme, Box 99, 999 99 Kiruna")  # after acceptance
    (lot_id,) = world.build_lots()
    world.compose(lot_id)
    printed = world.container.settings.output_dir / lot_id / PRINT_FILE
    assert text_in(printed, RETURN_ZONE) == [ACME]


def test_the_preview_shows_the_return_line_as_it_will_print(world: World) -> None:
    def ink_above_the_window(piece_id: str) -> int:
        png = previews.preview_letter_page(
            uow=world.container.uow(),
            blobs=world.container.blobs,
            render=render_piece_preview,
            account_id=world.account_id,
            piece_id=piece_id,
            page=1,
        )
        image = Image.open(io.BytesIO(png)).convert("L")
        px = PREVIEW_DPI / 25.4
        box = (RETURN_ZONE.left_mm, RETURN_ZONE.top_mm, RETURN_ZONE.right_mm, RETURN_ZONE.bottom_mm)
        darkest, _ = image.crop(tuple(int(v * px) for v in box)).getextrema()
        return int(darkest)

    without = world.submit(recipient=ANNA, pdf=blank_top_letter())
    world.check(world.piece(without.id))
    set_return_address(world)
    with_line = world.submit(recipient=ANNA, pdf=blank_top_letter())
    world.check(world.piece(with_line.id))
    assert ink_above_the_window(without.id) > 200  # nothing there
    assert ink_above_the_window(with_line.id) < 128  # the return line
    pdf = pdfium.PdfDocument(blank_top_letter())
    try:
        assert zone_is_blank(pdf[0], RETURN_ZONE)  # the document itself has none
    finally:
        pdf.close()
