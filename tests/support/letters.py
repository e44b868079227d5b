"""Realistic letters made with reportlab: letterhead, return line, the recipient in the
envelope's address zone, a body, a footer; and the fixture set of addresses they carry.

The return line is printed in the DIN Zusatz- und Vermerkzone (or the #10 return window),
which lies above the address zone and outside its clear zone, so reading the address zone
never sees it and the clear-zone check never flags it."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from postroom.domain.geometry import (
    MM_PER_POINT,
    PAGE_SIZE_MM,
    RETURN_ADDRESS_ZONES,
    EnvelopeLayout,
    PageFormat,
)
from tests.support.letter_cases import FIXTURE_LETTERS, LetterCase

_TextFn = Callable[[float, float, str, float], None]  # x mm, baseline mm, text, size pt

__all__ = ["FIXTURE_LETTERS", "FONT_NAME", "LetterCase", "font_covers", "make_letter"]

FONT_NAME = "PostroomSans"
# DejaVu Sans covers Romanian ș ț ă; reportlab's own Vera (the fallback) does not, so
# font_covers() tells tests which cases this machine can render faithfully.
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "Vera.ttf",  # found on reportlab's own font path
)
DEFAULT_SENDER = ("Postroom Demo AB", "Box 1234", "111 22 Stockholm")
DEFAULT_BODY = (
    "Thank you for your letter. We confirm that your account has been updated and that the "
    "changes take effect from the first day of next month. Please keep this letter for your "
    "records. If anything in it is wrong, call us on weekdays between 9 and 16 or write to "
    "the address above, quoting your customer number."
)


@cache
def _font() -> TTFont:
    for path in _FONT_FILES:
        if path.startswith("/") and not Path(path).exists():
            continue
        font = TTFont(FONT_NAME, path)
        pdfmetrics.registerFont(font)  # TrueType fonts are embedded (subset) by reportlab
        return font
    raise RuntimeError("no TrueType font found for test letters")


def font_covers(text: str) -> bool:
    """True when the letters' font has a glyph for every character of `text`."""
    glyphs = _font().face.charToGlyph
    return all(ord(character) in glyphs for character in text if not character.isspace())


def _pt(mm: float) -> float:
    return mm / MM_PER_POINT


def make_letter(
    address_lines: Sequence[str],
    layout: EnvelopeLayout,
    *,
    pages: int = 1,
    sender_lines: Sequence[str] = DEFAULT_SENDER,
    body: str = DEFAULT_BODY,
    marker: str | None = None,
) -> bytes:
    """A letter whose first page carries `address_lines` in the layout's address zone."""
    _font()
    width_mm, height_mm = PAGE_SIZE_MM[layout.page_format]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(_pt(width_mm), _pt(height_mm)))
    pdf.setTitle("Letter")
    page_height = _pt(height_mm)

    def text(x_mm: float, baseline_mm: float, value: str, size: float) -> None:
        pdf.setFont(FONT_NAME, size)
        pdf.drawString(_pt(x_mm), page_height - _pt(baseline_mm), value)

    zone = layout.address_zone
    us = layout.page_format is PageFormat.LETTER
    size, leading_mm = (9.0, 3.7) if us else (10.0, 4.23)
    inset_mm = 3.2 if us else 5.0  # USPS: 1/8 in from the window edge; DIN: text at 25 mm
    first_baseline = zone.top_mm + 0.6 + 0.8 * size * MM_PER_POINT
    last_bottom = first_baseline + (len(address_lines) - 1) * leading_mm + 0.3 * size * MM_PER_POINT
    if last_bottom > zone.bottom_mm:
        raise ValueError(f"{len(address_lines)} lines do not fit the {layout.code} window")
    body_left = 25.0 if not us else 25.4
    for number in range(1, pages + 1):
        if number == 1:
            _first_page_head(text, layout, sender_lines, width_mm)
            for i, line in enumerate(address_lines):
                text(zone.left_mm + inset_mm, first_baseline + i * leading_mm, line, size)
            top = max(zone.bottom_mm, layout.clear_zone.bottom_mm) + 12.0
            text(body_left, top, "Your account: changes confirmed", 11)
            if marker is not None:
                text(body_left, height_mm - 8.0, marker, 6)
        else:
            top = 25.0
            text(body_left, 15.0, f"{sender_lines[0]} - page {number} of {pages}", 8)
        wrapped = textwrap.wrap(body, 85) * 3
        for i, line in enumerate(wrapped):
            baseline = top + 10.0 + i * 5.0
            if baseline > height_mm - 30.0:
                break
            text(body_left, baseline, line, 10)
        text(body_left, height_mm - 15.0, " | ".join(sender_lines), 7)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _first_page_head(
    text: _TextFn, layout: EnvelopeLayout, sender: Sequence[str], width: float
) -> None:
    """Letterhead at the top right, return line, and the information block right of the window."""
    text(width - 80.0, 12.0, sender[0], 14)
    for i, line in enumerate(sender[1:]):
        text(width - 80.0, 17.0 + i * 4.0, line, 8)
    return_zone = RETURN_ADDRESS_ZONES.get(layout.code)
    if return_zone is not None:
        # The return line sits at the bottom of the endorsement zone, 7 pt (DIN asks 8 pt or
        # less), clear of the address zone below it.
        text(return_zone.left_mm + 5.0, return_zone.bottom_mm - 3.0, ", ".join(sender), 7)
    info_left = layout.clear_zone.right_mm + 10.0
    info_top = layout.address_zone.top_mm
    for i, line in enumerate(("Customer no. 4711-0815", "Date 2026-01-05", "Ref. PR-42")):
        text(info_left, info_top + i * 4.5, line, 8)
