"""The deposit proof: a PDF the print room issues when a lot is posted, listing every piece."""

from __future__ import annotations

import io
import math
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm as _mm
from reportlab.pdfgen import canvas

PAGE_WIDTH, PAGE_HEIGHT = float(A4[0]), float(A4[1])
mm: float = float(_mm)  # points per millimetre
MARGIN_LEFT_MM = 15.0
MARGIN_TOP_MM = 15.0
MARGIN_BOTTOM_MM = 15.0
HEADER_HEIGHT_MM = 30.0
SUMMARY_HEIGHT_MM = 45.0  # the first page's totals block
LINE_HEIGHT_MM = 4.2
FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
FONT_SIZE = 7.5
# Column x positions, in millimetres from the left edge.
COLUMNS_MM = {
    "n": 15.0,
    "piece": 27.0,
    "tracking": 90.0,
    "postage": 128.0,
    "dest": 148.0,
    "sheets": 178.0,
    "weight": 190.0,
}


@dataclass(frozen=True)
class ProofLine:
    """One posted piece on the proof."""

    piece_id: str
    tracking_reference: str | None
    postage: str
    country: str
    postal_code: str
    sheets: int
    weight_g: int
    price_minor: int


@dataclass(frozen=True)
class DepositProof:
    """Everything the proof states: the lot, when it was posted, its file and its pieces."""

    lot_id: str
    posted_at: datetime
    issued_at: datetime
    print_file_sha256: str
    lines: tuple[ProofLine, ...]
    failed_count: int = 0
    currency: str = "SEK"

    @property
    def total_sheets(self) -> int:
        """Sheets of every posted piece."""
        return sum(line.sheets for line in self.lines)

    @property
    def total_weight_g(self) -> int:
        """Weight of every posted piece, in grams."""
        return sum(line.weight_g for line in self.lines)

    @property
    def total_price_minor(self) -> int:
        """What the posted pieces cost, in minor units."""
        return sum(line.price_minor for line in self.lines)

    def by_postage(self) -> dict[str, int]:
        """How many pieces went with each postage class."""
        counts: dict[str, int] = {}
        for line in self.lines:
            counts[line.postage] = counts.get(line.postage, 0) + 1
        return dict(sorted(counts.items()))


def _lines_per_page(first: bool) -> int:
    usable = PAGE_HEIGHT / mm - MARGIN_TOP_MM - MARGIN_BOTTOM_MM - HEADER_HEIGHT_MM
    if first:
        usable -= SUMMARY_HEIGHT_MM
    return int(usable // LINE_HEIGHT_MM) - 1  # one line for the column titles


def page_count(line_count: int) -> int:
    """How many pages a proof of `line_count` pieces takes."""
    first = _lines_per_page(True)
    if line_count <= first:
        return 1
    return 1 + math.ceil((line_count - first) / _lines_per_page(False))


def render_deposit_proof(proof: DepositProof) -> bytes:
    """The proof as PDF bytes (deterministic for the same proof)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle(f"Deposit proof, lot {proof.lot_id}")
    pdf.setAuthor("Postroom")
    pages = page_count(len(proof.lines))
    index = 0
    for page in range(1, pages + 1):
        y = _header(pdf, proof, page, pages)
        if page == 1:
            y = _summary(pdf, proof, y)
        take = _lines_per_page(page == 1)
        y = _column_titles(pdf, y)
        pdf.setFont(FONT, FONT_SIZE)
        for line in proof.lines[index : index + take]:
            index += 1
            _row(pdf, y, index, line)
            y -= LINE_HEIGHT_MM * mm
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _header(pdf: canvas.Canvas, proof: DepositProof, page: int, pages: int) -> float:
    x = MARGIN_LEFT_MM * mm
    y = PAGE_HEIGHT - MARGIN_TOP_MM * mm
    pdf.setFont(FONT_BOLD, 13)
    pdf.drawString(x, y, "Deposit proof")
    pdf.setFont(FONT, 8)
    pdf.drawRightString(PAGE_WIDTH - x, y, f"page {page} of {pages}")
    pdf.drawString(x, y - 6 * mm, f"Lot {proof.lot_id}")
    pdf.drawString(x, y - 10 * mm, f"Posted {proof.posted_at.isoformat()}")
    pdf.drawString(x, y - 14 * mm, f"Print file sha256 {proof.print_file_sha256}")
    pdf.drawString(x, y - 18 * mm, f"Issued {proof.issued_at.isoformat()}")
    return y - HEADER_HEIGHT_MM * mm


def _summary(pdf: canvas.Canvas, proof: DepositProof, y: float) -> float:
    x = MARGIN_LEFT_MM * mm
    price = f"{proof.total_price_minor / 100:.2f} {proof.currency}"
    rows = [
        ("Pieces posted", str(len(proof.lines))),
        ("Pieces failed", str(proof.failed_count)),
        ("Sheets", str(proof.total_sheets)),
        ("Weight", f"{proof.total_weight_g} g"),
        ("Price", price),
        ("By postage", ", ".join(f"{k}: {v}" for k, v in proof.by_postage().items()) or "-"),
    ]
    pdf.setFont(FONT_BOLD, 9)
    pdf.drawString(x, y, "Totals")
    y -= 5 * mm
    for label, value in rows:
        pdf.setFont(FONT, 8)
        pdf.drawString(x, y, label)
        pdf.drawString(x + 35 * mm, y, value)
        y -= 4.5 * mm
    return y - (SUMMARY_HEIGHT_MM - 5 - 4.5 * len(rows)) * mm


def _column_titles(pdf: canvas.Canvas, y: float) -> float:
    pdf.setFont(FONT_BOLD, FONT_SIZE)
    titles = {
        "n": "#",
        "piece": "Piece",
        "tracking": "Tracking reference",
        "postage": "Postage",
        "dest": "Destination",
        "sheets": "Sheets",
        "weight": "g",
    }
    for key, title in titles.items():
        pdf.drawString(COLUMNS_MM[key] * mm, y, title)
    return y - LINE_HEIGHT_MM * mm


def _row(pdf: canvas.Canvas, y: float, n: int, line: ProofLine) -> None:
    cells = {
        "n": str(n),
        "piece": line.piece_id,
        "tracking": line.tracking_reference or "-",
        "postage": line.postage,
        "dest": f"{line.country} {line.postal_code}"[:18],
        "sheets": str(line.sheets),
        "weight": str(line.weight_g),
    }
    for key, text in cells.items():
        pdf.drawString(COLUMNS_MM[key] * mm, y, text)


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old one or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
