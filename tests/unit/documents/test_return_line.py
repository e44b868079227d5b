"""The sender's return line at composition: in small type where the layout puts it (the foot
of the DIN Zusatz- und Vermerkzone, the top of the #10 return window), above the address
zone and never in it, on an address page or drawn into the window with the recipient; the
lot's read-back still reads only the recipient there. And what a return line may be."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from postroom.documents.address_page import return_line_problem
from postroom.documents.lot_files import PRINT_FILE, LotEntry, LotFileWriter
from postroom.documents.verify_lot import verify_print_file
from postroom.documents.zones import read_zone_lines, zone_is_blank
from postroom.domain.geometry import (
    MM_PER_POINT,
    PAGE_SIZE_MM,
    RETURN_ADDRESS_ZONES,
    EnvelopeLayout,
    Zone,
    layout_for,
    return_line_zone,
)
from tests.support.pdfs import TOUR_ADDRESS_LINES, TOUR_RECIPIENT, text_in_zone

LOT_ID = "7e1d2c3b-1111-4222-8333-444455556666"
ACME = "Acme Utilities, Box 12, 111 22 Stockholm"
ANNA = TOUR_RECIPIENT
ANNA_LINES = TOUR_ADDRESS_LINES
US_BOB = {
    "name_lines": ["Bob Smith"],
    "street_lines": ["1 Main St"],
    "postal_code": "10001",
    "city": "New York",
    "region": "NY",
    "country": "US",
}


def body_letter(layout: EnvelopeLayout) -> bytes:
    """A one-page letter whose text starts well below the window: nothing in its top part."""
    width, height = PAGE_SIZE_MM[layout.page_format]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width / MM_PER_POINT, height / MM_PER_POINT))
    pdf.drawString(72, 300, "Your invoice for March is attached.")
    pdf.save()
    return buffer.getvalue()


def entry(tmp_path: Path, layout: str = "din5008_a", **extra: Any) -> LotEntry:
    source = tmp_path / f"letter-{layout}.pdf"
    source.write_bytes(body_letter(layout_for(layout)))
    return LotEntry(
        piece_id="piece-1",
        account_id="acc-1",
        source_path=source,
        own_pages=1,
        recipient=extra.pop("recipient", ANNA),
        options={"plex": "simplex", "color": False, "postage": "economy"},
        home_country=extra.pop("home_country", "SE"),
        layout=layout,
        **extra,
    )


def compose(tmp_path: Path, entries: list[LotEntry]) -> Path:
    # LotFileWriter.write reads the lot back (verify_print_file) before it puts it in place.
    folder = LotFileWriter(tmp_path / "out").write(LOT_ID, entries, datetime.now(UTC)).folder
    return folder / PRINT_FILE


text_in = text_in_zone


def blank(path: Path, zone: Zone, page_index: int = 0) -> bool:
    pdf = pdfium.PdfDocument(path)
    try:
        return zone_is_blank(pdf[page_index], zone)
    finally:
        pdf.close()


def test_the_return_line_is_drawn_into_the_window_above_the_address_zone(tmp_path: Path) -> None:
    layout = layout_for("din5008_a")
    printed = compose(tmp_path, [entry(tmp_path, address_in_window=True, return_line=ACME)])
    zone = return_line_zone(layout)
    assert zone is not None
    assert text_in(printed, zone) == [ACME]
    # The whole Zusatz- und Vermerkzone holds the return line and nothing else ...
    assert text_in(printed, RETURN_ADDRESS_ZONES[layout.code]) == [ACME]
    # ... and the address zone, read as the window reader and the read-back read it, only
    # the recipient, with the clear zone's margins still free of anything else.
    assert text_in(printed, layout.address_zone) == ANNA_LINES
    pdf = pdfium.PdfDocument(printed)
    try:
        assert read_zone_lines(pdf[0], layout.address_zone) == ANNA_LINES
        assert "Your invoice for March" in pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()
    # Just above the address zone, in small type: its line box lies wholly in the zone's
    # lower 5 mm, and its own band (with its margin) stays above the address zone.
    assert zone.bottom_mm <= layout.address_zone.top_mm
    assert zone.top_mm >= layout.address_zone.top_mm - 5.5


def test_the_return_line_is_printed_on_the_address_page(tmp_path: Path) -> None:
    layout = layout_for("din5008_a")
    printed = compose(tmp_path, [entry(tmp_path, address_page=True, return_line=ACME)])
    assert text_in(printed, RETURN_ADDRESS_ZONES[layout.code], 0) == [ACME]
    assert text_in(printed, layout.address_zone, 0) == ANNA_LINES
    # The letter follows as it was sent: no return line of ours on its own first page.
    assert blank(printed, RETURN_ADDRESS_ZONES[layout.code], 1)


def test_the_window_less_address_page_takes_it_where_din_form_b_has_it(tmp_path: Path) -> None:
    layout = layout_for("windowless")
    printed = compose(
        tmp_path, [entry(tmp_path, "windowless", address_page=True, return_line=ACME)]
    )
    assert text_in(printed, RETURN_ADDRESS_ZONES["windowless"]) == [ACME]
    assert text_in(printed, layout.address_zone) == ANNA_LINES


def test_a_us_letter_takes_it_at_the_top_of_the_return_window(tmp_path: Path) -> None:
    layout = layout_for("us10_double_window")
    printed = compose(
        tmp_path,
        [
            entry(
                tmp_path,
                "us10_double_window",
                recipient=US_BOB,
                home_country="US",
                address_in_window=True,
                return_line=ACME,
            )
        ],
    )
    assert text_in(printed, RETURN_ADDRESS_ZONES[layout.code]) == [ACME]
    assert text_in(printed, layout.address_zone) == ["Bob Smith", "1 Main St", "New York NY 10001"]


def test_without_a_return_line_nothing_is_printed_above_the_address(tmp_path: Path) -> None:
    layout = layout_for("din5008_a")
    printed = compose(tmp_path, [entry(tmp_path, address_in_window=True)])
    assert blank(printed, RETURN_ADDRESS_ZONES[layout.code])
    assert text_in(printed, layout.address_zone) == ANNA_LINES


def test_a_piece_whose_document_carries_its_address_gets_no_return_line(tmp_path: Path) -> None:
    # as_printed: no address of Postroom's, so no return line either, whatever is passed.
    layout = layout_for("din5008_a")
    printed = compose(tmp_path, [entry(tmp_path, return_line=ACME)])
    assert blank(printed, RETURN_ADDRESS_ZONES[layout.code])


def test_the_read_back_still_finds_the_recipient_with_a_return_line(tmp_path: Path) -> None:
    entries = [entry(tmp_path, address_in_window=True, return_line=ACME)]
    printed = compose(tmp_path, entries)
    verify_print_file(printed, lot_id=LOT_ID, pieces=entries)  # raises on a mismatch


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        (ACME, True),
        ("", True),
        ("x" * 81, False),
        ("Acme Utilities Aktiebolag, Customer Service, Box 12345, 111 22 Stockholm", False),
    ],
)
def test_a_return_line_is_one_line_of_at_most_80_characters_that_fits(
    text: str, fits: bool
) -> None:
    assert (return_line_problem(text) is None) is fits
