"""Address placement through the real pipeline (submit, check, build lots, compose): the
README tour's letter comes out of its lot with its recipient in the envelope window, or on an
address page of its own; a letter whose window names someone else never reaches a lot.

Issue 13, must show 1. The lot's pages are read as a print room would: PDFium renders the
page and reads the text inside the window zone's rectangle."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen.canvas import Canvas

from postroom.documents.lot_files import MANIFEST_FILE, PRINT_FILE
from postroom.documents.zones import zone_is_blank
from postroom.domain.geometry import LAYOUTS, layout_for
from postroom.domain.model import AddressPlacement, PieceOptions, Recipient
from postroom.domain.states import PieceState
from postroom.services.stages import COMPOSE_LOT
from postroom.storage import tables
from tests.support.letters import make_letter
from tests.support.pdfs import TOUR_ADDRESS_LINES, TOUR_RECIPIENT, text_in_zone, tour_letter
from tests.unit.services.world import World

WINDOW = layout_for("din5008_a")  # letter_immediate's envelope: the profile's default
# The README's "Send a letter": the recipient as the tour sends it.
ANNA = Recipient.from_dict(TOUR_RECIPIENT)
ANNA_LINES = TOUR_ADDRESS_LINES


def window_text(path: Path, page_number: int) -> list[str]:
    """The lines PDFium reads inside the window zone of one page of a lot's print file,
    after checking that the rendered page shows something there."""
    pdf = pdfium.PdfDocument(path)
    try:
        page = pdf[page_number - 1]
        assert not zone_is_blank(page, WINDOW.address_zone), "nothing drawn in the window"
        return text_in_zone(pdf, WINDOW.address_zone, page_number - 1)
    finally:
        pdf.close()


def page_count(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def produce(world: World, piece_id: str, *, wait: timedelta = timedelta(0)) -> Path:
    """Check the letter, build its lot (`wait` later: past its service's cut-off) and
    compose it; the lot's folder."""
    world.check(world.piece(piece_id))
    assert world.piece(piece_id).state is PieceState.ACCEPTED, world.piece(piece_id).findings
    world.clock.advance(wait)
    (lot_id,) = world.build_lots()
    world.compose(lot_id, message_id=world.message_id(COMPOSE_LOT, lot_id=lot_id))
    assert world.piece(piece_id).state is PieceState.TRANSFERRED
    return world.container.settings.output_dir / lot_id


def test_the_readme_letter_with_a_recipient_comes_out_with_the_address_in_the_window(
    world: World,
) -> None:
    piece = world.submit(recipient=ANNA, pdf=tour_letter())
    folder = produce(world, piece.id)
    letter = world.piece(piece.id)
    assert letter.options.address_placement is AddressPlacement.WINDOW  # blank: the default
    assert window_text(folder / PRINT_FILE, 1) == ANNA_LINES
    assert page_count(folder / PRINT_FILE) == 1  # no page added
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    (entry,) = manifest["pieces"]
    assert entry["address_page"] is False
    assert entry["options"]["address_placement"] == "window"
    assert letter.sheets == 1


def test_the_readme_letter_with_an_address_page_comes_out_one_page_longer(world: World) -> None:
    in_window = world.submit(recipient=ANNA, pdf=tour_letter())
    with_page = world.submit(
        recipient=ANNA,
        pdf=tour_letter(),
        options=PieceOptions(address_placement=AddressPlacement.ADDRESS_PAGE),
    )
    for piece in (in_window, with_page):
        world.check(piece)
    (lot_id,) = world.build_lots()
    world.compose(lot_id)
    folder = world.container.settings.output_dir / lot_id
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    by_id = {p["piece_id"]: p for p in manifest["pieces"]}
    assert by_id[with_page.id]["page_count"] == by_id[in_window.id]["page_count"] + 1
    assert by_id[with_page.id]["address_page"] is True
    first = by_id[with_page.id]["pages"]["first"]
    assert window_text(folder / PRINT_FILE, first) == ANNA_LINES
    # The letter itself follows, as it was sent: nothing printed into its window.
    pdf = pdfium.PdfDocument(folder / PRINT_FILE)
    try:
        assert zone_is_blank(pdf[first], WINDOW.clear_zone)
        assert "Hello from Postroom" in pdf[first].get_textpage().get_text_range()
    finally:
        pdf.close()
    # Counted and priced as a sheet of its own.
    assert world.piece(with_page.id).sheets == world.piece(in_window.id).sheets + 1
    assert world.piece(with_page.id).price_minor > world.piece(in_window.id).price_minor


def test_a_letter_whose_window_names_someone_else_is_refused_and_never_reaches_a_lot(
    world: World,
) -> None:
    pdf = make_letter(["Bo Ek", "Vägen 2", "411 01 Göteborg"], WINDOW)
    piece = world.submit(recipient=ANNA, pdf=pdf)
    world.check(piece)
    failed = world.piece(piece.id)
    assert failed.state is PieceState.FAILED
    assert failed.failure_code == "window_address_mismatch"
    assert "Bo Ek" in (failed.failure_reason or "")
    assert failed.options.address_placement is AddressPlacement.AS_PRINTED
    assert world.build_lots() == []
    assert world.rows(tables.charges, tables.charges.c.piece_id == piece.id) == []  # not charged


def test_the_same_address_printed_differently_is_a_match(world: World) -> None:
    # Case, spacing and the postal code's spelling differ; the address is the same.
    pdf = make_letter(["ANNA  SVENSSON", "storgatan 1", "SE-11451 STOCKHOLM"], WINDOW)
    piece = world.submit(recipient=ANNA, pdf=pdf)
    folder = produce(world, piece.id)
    assert world.piece(piece.id).options.address_placement is AddressPlacement.AS_PRINTED
    # Printed as the document has it: nothing drawn over it.
    assert window_text(folder / PRINT_FILE, 1) == [
        "ANNA SVENSSON",
        "storgatan 1",
        "SE-11451 STOCKHOLM",
    ]


def test_a_window_placement_over_a_window_that_holds_text_is_not_eligible(world: World) -> None:
    pdf = make_letter(ANNA_LINES, WINDOW)
    piece = world.submit(
        recipient=ANNA, pdf=pdf, options=PieceOptions(address_placement=AddressPlacement.WINDOW)
    )
    world.check(piece)
    failed = world.piece(piece.id)
    assert failed.state is PieceState.FAILED
    assert failed.failure_code == "window_zone_not_blank"
    assert failed.eligible is False
    assert world.build_lots() == []


def drawn_in_window(kind: str) -> bytes:
    """A letter whose window zone (or its clear margin) holds no text but a mark."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    height = canvas._pagesize[1]
    zone = WINDOW.address_zone
    mm = 72 / 25.4
    if kind == "rule":  # a hairline in the clear margin under the zone
        y = height - (zone.bottom_mm + 2) * mm
        canvas.setLineWidth(0.1)
        canvas.line(zone.left_mm * mm, y, zone.right_mm * mm, y)
    else:  # a filled box in the zone, as a logo would be
        canvas.rect(40 * mm, height - 60 * mm, 20 * mm, 10 * mm, fill=1)
    canvas.drawString(72, 400, "Body text")
    canvas.save()
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["rule", "box"])
def test_a_mark_that_is_not_text_also_keeps_the_address_out_of_the_window(
    world: World, kind: str
) -> None:
    chosen = world.submit(
        recipient=ANNA,
        pdf=drawn_in_window(kind),
        options=PieceOptions(address_placement=AddressPlacement.WINDOW),
    )
    world.check(chosen)
    assert world.piece(chosen.id).failure_code == "window_zone_not_blank"
    # Left to the default, the window is taken as printed: it does not show Anna.
    default = world.submit(recipient=ANNA, pdf=drawn_in_window(kind))
    world.check(default)
    assert world.piece(default.id).failure_code == "window_address_mismatch"


def test_a_white_box_in_the_window_is_blank(world: World) -> None:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(0, 0, 595, 842, fill=1, stroke=0)  # a word processor's page background
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawString(72, 400, "Body text")
    canvas.save()
    piece = world.submit(recipient=ANNA, pdf=buffer.getvalue())
    folder = produce(world, piece.id)
    assert window_text(folder / PRINT_FILE, 1) == ANNA_LINES


def test_an_address_that_does_not_fit_the_window_is_not_eligible(world: World) -> None:
    wide = Recipient(
        name_lines=("Anna Svensson " * 5,),
        street_lines=("Storgatan 1",),
        postal_code="114 51",
        city="Stockholm",
        country="SE",
    )
    piece = world.submit(recipient=wide, pdf=tour_letter())
    world.check(piece)
    assert world.piece(piece.id).failure_code == "address_does_not_fit"


def test_a_letter_without_a_recipient_is_read_from_its_window_as_printed(world: World) -> None:
    pdf = make_letter(ANNA_LINES, WINDOW)
    piece = world.submit(recipient=None, pdf=pdf)
    folder = produce(world, piece.id)
    letter = world.piece(piece.id)
    assert letter.address_source == "window"
    assert letter.options.address_placement is AddressPlacement.AS_PRINTED
    assert window_text(folder / PRINT_FILE, 1) == ANNA_LINES


def test_a_windowless_service_prints_an_address_page_whatever_the_default(world: World) -> None:
    piece = world.submit(recipient=ANNA, pdf=tour_letter(), service="letter_address_page")
    folder = produce(world, piece.id, wait=timedelta(hours=8))  # its cut-off: 16:00
    assert world.piece(piece.id).options.address_placement is AddressPlacement.ADDRESS_PAGE
    assert page_count(folder / PRINT_FILE) == 2
    assert LAYOUTS["windowless"].address_zone == layout_for("din5008_b").address_zone
