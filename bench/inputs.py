"""Generated input shared by every case of one run: a multi-page source and small letters."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

RECIPIENT = {
    "name_lines": ["Anna Svensson"],
    "street_lines": ["Storgatan 1"],
    "postal_code": "114 51",
    "city": "Stockholm",
    "country": "SE",
}
RECIPIENT_JSON = json.dumps(RECIPIENT)
OPTIONS = {"plex": "simplex", "color": False, "postage": "economy"}


def make_pdf(pages: int, label: str) -> bytes:
    """A text PDF like a typical letter: a header, an address block and a paragraph a page."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    for page in range(1, pages + 1):
        c.setFont("Helvetica-Bold", 14)
        c.drawString(72, height - 72, f"{label}, page {page} of {pages}")
        c.setFont("Helvetica", 11)
        for i, line in enumerate(RECIPIENT["name_lines"] + RECIPIENT["street_lines"]):
            c.drawString(72, height - 150 - 14 * i, line)
        for i in range(30):
            c.drawString(72, height - 260 - 14 * i, f"Line {i + 1} of the body text of {label}.")
        c.rect(40, 40, width - 80, height - 80)
        c.showPage()
    c.save()
    return buffer.getvalue()


@dataclass(frozen=True)
class BenchInput:
    """Files written once, read by every case."""

    source_path: Path  # the multi-page source the lot pieces come from
    source_pages: int
    letters: list[bytes]  # distinct small letters (distinct blobs, like a real intake)


def generate(folder: Path, *, source_pages: int, letters: int, letter_pages: int) -> BenchInput:
    """Write the source PDF under `folder` and build the letters in memory."""
    folder.mkdir(parents=True, exist_ok=True)
    source_path = folder / "source.pdf"
    source_path.write_bytes(make_pdf(source_pages, "Campaign source"))
    made = [make_pdf(letter_pages, f"Letter {n:06d}") for n in range(letters)]
    return BenchInput(source_path=source_path, source_pages=source_pages, letters=made)
