"""Small PDFs made on the fly with reportlab."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from postroom.documents.zones import zone_to_rect
from postroom.domain.geometry import Zone


def make_pdf(pages: int = 1, *, label: str = "Letter", size: tuple[float, float] = A4) -> bytes:
    """A PDF whose page i says '<label> page i of n' (tests read the text back)."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=size)
    c.setTitle(label)
    for i in range(1, pages + 1):
        c.setFont("Helvetica", 12)
        c.drawString(72, size[1] - 100, f"{label} page {i} of {pages}")
        c.showPage()
    c.save()
    return buffer.getvalue()


# The README tour's recipient ("Send a letter"), and her address as it is printed.
TOUR_RECIPIENT = {
    "name_lines": ["Anna Svensson"],
    "street_lines": ["Storgatan 1"],
    "postal_code": "114 51",
    "city": "Stockholm",
    "country": "SE",
}
TOUR_ADDRESS_LINES = ["Anna Svensson", "Storgatan 1", "114 51 Stockholm"]


def tour_letter() -> bytes:
    """The README tour's letter, made as its one-liner makes it: reportlab's default page
    (A4), "Hello from Postroom" at (72, 560), nothing in the envelope window."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    c.drawString(72, 560, "Hello from Postroom")
    c.save()
    return buffer.getvalue()


def text_in_zone(pdf: Path | pdfium.PdfDocument, zone: Zone, page_index: int = 0) -> list[str]:
    """The lines PDFium's own bounded-text query reads inside `zone` of one page (a file or
    an open document), spaces squeezed: the text as a print room's tool would read it, not
    through our zone reader (documents/zones.read_zone_lines) that the tests check."""
    document = pdfium.PdfDocument(pdf) if isinstance(pdf, Path) else pdf
    try:
        page = document[page_index]
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_bounded(*zone_to_rect(page, zone))
        finally:
            textpage.close()
        return [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    finally:
        if document is not pdf:
            document.close()
