"""A piece's pages as a PDF of its own: the upload itself when the piece is all of it."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from postroom.documents.extract import piece_pdf
from tests.support.pdfs import make_pdf


def texts(data: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(io.BytesIO(data))
    try:
        return [pdf[i].get_textpage().get_text_range().strip() for i in range(len(pdf))]
    finally:
        pdf.close()


def test_the_whole_document_is_the_upload_byte_for_byte(tmp_path: Path) -> None:
    source = tmp_path / "letter.pdf"
    source.write_bytes(make_pdf(3))
    assert piece_pdf(source, first_page=1, page_count=3) == source.read_bytes()


def test_a_page_range_keeps_only_its_pages_in_order(tmp_path: Path) -> None:
    source = tmp_path / "campaign.pdf"
    source.write_bytes(make_pdf(5, label="Campaign"))
    part = piece_pdf(source, first_page=2, page_count=3)
    assert texts(part) == [f"Campaign page {i} of 5" for i in (2, 3, 4)]


@pytest.mark.parametrize(("first", "count"), [(0, 1), (1, 0), (4, 2), (5, 1)])
def test_pages_outside_the_file_are_refused(tmp_path: Path, first: int, count: int) -> None:
    source = tmp_path / "letter.pdf"
    source.write_bytes(make_pdf(4))
    with pytest.raises(ValueError, match="not in a 4-page file"):
        piece_pdf(source, first_page=first, page_count=count)
