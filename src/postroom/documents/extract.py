"""One piece's pages as a PDF of its own (an email attachment), the upload itself when the
piece is the whole document."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf


def piece_pdf(source: Path, *, first_page: int, page_count: int) -> bytes:
    """The bytes of pages first_page..first_page+page_count-1 (1-based) of `source`; the
    file unchanged, byte for byte, when those are all of its pages."""
    with pikepdf.open(source) as pdf:
        total = len(pdf.pages)
        last = first_page + page_count - 1
        if first_page < 1 or page_count < 1 or last > total:
            raise ValueError(f"pages {first_page}-{last} are not in a {total}-page file")
        if first_page == 1 and page_count == total:
            return source.read_bytes()
        out = pikepdf.new()
        # One slice, one extend: copying page by page from a slice in a loop is quadratic.
        out.pages.extend(pdf.pages[first_page - 1 : last])
        buffer = io.BytesIO()
        out.save(buffer)
        return buffer.getvalue()
