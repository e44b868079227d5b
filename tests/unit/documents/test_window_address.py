"""An address printed into the envelope window at composition: inside the window zone of
the piece's first page however the page is turned, no page added, the sheet code kept, and
named only by the page that shows it. And what counts as a blank window, and what fits."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from reportlab.pdfgen import canvas

from postroom.documents.address_page import fit_problem
from postroom.documents.barcodes import parse_sheet_code
from postroom.documents.lot_files import PRINT_FILE, LotEntry, LotFileWriter
from postroom.documents.zones import read_zone_lines, zone_is_blank
from postroom.domain.geometry import MM_PER_POINT, layout_for
from tests.support.pdfs import (
    TOUR_ADDRESS_LINES,
    TOUR_RECIPIENT,
    make_pdf,
    text_in_zone,
    tour_letter,
)

LOT_ID = "5d0c2b1a-2222-4333-8444-555566667777"
LAYOUT = layout_for("din5008_a")
ANNA = TOUR_RECIPIENT
ANNA_LINES = TOUR_ADDRESS_LINES


def entry(source: Path, n: int = 1, *, first: int = 1, pages: int = 1, **extra: Any) -> LotEntry:
    return LotEntry(
        piece_id=f"piece-{n}",
        account_id="acc-1",
        source_path=source,
        own_pages=pages,
        first_page=first,
        recipient=ANNA,
        options={"plex": extra.pop("plex", "simplex"), "color": False, "postage": "economy"},
        home_country="SE",
        **extra,
    )


def compose(tmp_path: Path, entries: list[LotEntry]) -> Path:
    return LotFileWriter(tmp_path / "out").write(LOT_ID, entries, datetime.now(UTC)).folder


def zone_text(pdf: pdfium.PdfDocument, index: int) -> list[str]:
    return text_in_zone(pdf, LAYOUT.address_zone, index)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_the_address_lands_in_the_window_zone_however_the_page_is_turned(
    tmp_path: Path, rotate: int
) -> None:
    source = tmp_path / "letter.pdf"
    with pikepdf.open(io.BytesIO(tour_letter())) as pdf:
        pdf.pages[0].Rotate = rotate
        pdf.save(source)
    folder = compose(tmp_path, [entry(source, address_in_window=True)])
    pdf = pdfium.PdfDocument(folder / PRINT_FILE)
    try:
        assert len(pdf) == 1
        # Read as the window reader reads it: lines as the page is shown, top to bottom.
        assert read_zone_lines(pdf[0], LAYOUT.address_zone) == ANNA_LINES
        assert not zone_is_blank(pdf[0], LAYOUT.address_zone)
        assert zone_is_blank(pdf[0], LAYOUT.barcode_zone) is (rotate in (90, 270))
        assert "Hello from Postroom" in pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()


def test_the_first_sheet_keeps_its_code_and_no_page_is_added(tmp_path: Path) -> None:
    source = tmp_path / "letter.pdf"
    source.write_bytes(make_pdf(3, label="Letter"))
    folder = compose(tmp_path, [entry(source, pages=3, plex="duplex", address_in_window=True)])
    pdf = pdfium.PdfDocument(folder / PRINT_FILE)
    try:
        assert len(pdf) == 4  # three pages and a blank back: no address page
        assert zone_text(pdf, 0) == ANNA_LINES
        assert zone_text(pdf, 2) == []  # the second sheet's front: the letter's own page
        image = pdf[0].render(scale=200 / 72).to_pil()
        (found,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.DataMatrix)
        code = parse_sheet_code(found.text)
        assert (code.piece_sequence, code.sheet, code.sheets) == (1, 1, 2)
    finally:
        pdf.close()


def test_only_the_page_that_shows_an_address_names_it(tmp_path: Path) -> None:
    # Three pieces cut from one file share its resources; the middle one's address goes
    # into its window, the others carry theirs.
    source = tmp_path / "campaign.pdf"
    source.write_bytes(make_pdf(3, label="Campaign"))
    entries = [
        entry(source, 1, first=1),
        entry(source, 2, first=2, address_in_window=True),
        entry(source, 3, first=3),
    ]
    folder = compose(tmp_path, entries)
    with pikepdf.open(folder / PRINT_FILE) as lot:
        named = [set(page.Resources.get("/XObject", {}).keys()) for page in lot.pages]
        fonts = [page.Resources.Font.objgen for page in lot.pages]
    assert named == [set(), {"/PostroomAddress"}, set()]
    assert fonts[0] == fonts[1] == fonts[2]  # the source's font, still shared
    pdf = pdfium.PdfDocument(folder / PRINT_FILE)
    try:
        assert [zone_text(pdf, i) for i in range(3)] == [[], ANNA_LINES, []]
    finally:
        pdf.close()


def test_an_address_page_wins_over_the_window(tmp_path: Path) -> None:
    source = tmp_path / "letter.pdf"
    source.write_bytes(tour_letter())
    plan = entry(source, address_page=True, address_in_window=True).plan()
    assert plan.address_in_window is False
    folder = compose(tmp_path, [entry(source, address_page=True, address_in_window=True)])
    pdf = pdfium.PdfDocument(folder / PRINT_FILE)
    try:
        assert len(pdf) == 2
        assert zone_text(pdf, 0) == ANNA_LINES
        assert zone_text(pdf, 1) == []
    finally:
        pdf.close()


# --- what counts as blank -------------------------------------------------------------------


def a4_page(draw: Any) -> pdfium.PdfPage:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(210 / MM_PER_POINT, 297 / MM_PER_POINT))
    draw(pdf)
    pdf.save()
    return pdfium.PdfDocument(buffer.getvalue())[0]


def mm(value: float) -> float:
    return value / MM_PER_POINT


def from_top(value_mm: float) -> float:
    return mm(297 - value_mm)


@pytest.mark.parametrize(
    ("what", "draw", "blank"),
    [
        ("nothing", lambda c: c.drawString(mm(25), from_top(120), "Body text"), True),
        ("text", lambda c: c.drawString(mm(25), from_top(55), "Anna"), False),
        (
            "a hairline in the margin",
            lambda c: (c.setLineWidth(0.1), c.line(mm(17), from_top(74), mm(100), from_top(74))),
            False,
        ),
        (
            "a white box",
            lambda c: (c.setFillColorRGB(1, 1, 1), c.rect(0, 0, mm(210), mm(297), fill=1)),
            True,
        ),
        (
            "a grey box",
            lambda c: (
                c.setFillColorRGB(0.8, 0.8, 0.8),
                c.rect(mm(30), from_top(70), mm(20), mm(10), fill=1, stroke=0),
            ),
            False,
        ),
        (
            "the return line above the zone",
            lambda c: c.drawString(mm(25), from_top(42), "Postroom AB, Box 1"),
            True,
        ),
    ],
)
def test_what_a_blank_window_is(what: str, draw: Any, blank: bool) -> None:
    assert zone_is_blank(a4_page(draw), LAYOUT.clear_zone) is blank, what


# --- what fits ------------------------------------------------------------------------------


def test_six_short_lines_fit_a_din_window_and_seven_do_not() -> None:
    assert fit_problem(LAYOUT, ["Line"] * 6) is None
    assert fit_problem(LAYOUT, ["Line"] * 7) == "it takes 7 lines and the window 6"


def test_a_line_wider_than_the_window_does_not_fit() -> None:
    problem = fit_problem(LAYOUT, ["Anna Svensson " * 5])
    assert problem is not None and "mm wide and the window takes 75 mm" in problem


def test_a_us_window_takes_five_lines() -> None:
    us10 = layout_for("us10_double_window")
    assert fit_problem(us10, ["Line"] * 5) is None
    assert fit_problem(us10, ["Line"] * 6) is not None
