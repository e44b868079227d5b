"""First look at an uploaded file: is it a PDF we can open, and how many pages has it."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import BinaryIO

import pikepdf
import pypdfium2 as pdfium

from postroom.documents.engine_lock import PDFIUM_LOCK
from postroom.domain.errors import DocumentTooLarge, InvalidDocument
from postroom.domain.sizes import in_mib

PDF_MAGIC = b"%PDF-"
# The PDF header may follow some junk; readers accept it within the first kilobyte.
HEADER_SEARCH_BYTES = 1024


@dataclass(frozen=True)
class PdfFacts:
    """What the first look found."""

    page_count: int
    size_bytes: int


def inspect_pdf(stream: BinaryIO, *, max_pages: int, max_bytes: int) -> PdfFacts:
    """Open the stream as a PDF and count its pages; raise InvalidDocument when we cannot."""
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise InvalidDocument("the file is empty", code="empty_file")
    if size > max_bytes:
        raise DocumentTooLarge(
            f"the file is {size} bytes ({in_mib(size)}); files of up to {in_mib(max_bytes)} "
            f"({max_bytes} bytes, POSTROOM_MAX_UPLOAD_BYTES) are taken",
            detail={"size_bytes": size, "max_bytes": max_bytes},
        )
    if PDF_MAGIC not in stream.read(HEADER_SEARCH_BYTES):
        raise InvalidDocument("the file is not a PDF (no %PDF- header)", code="not_a_pdf")
    stream.seek(0)
    data = stream.read()
    stream.seek(0)
    with PDFIUM_LOCK:  # the API inspects uploads in its request threads
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise _why_unopenable(data) from exc
        try:
            pages = len(pdf)
        finally:
            pdf.close()
    if pages == 0:
        raise InvalidDocument("the PDF has no pages", code="no_pages")
    if pages > max_pages:
        raise DocumentTooLarge(
            f"the PDF has {pages} pages; the limit is {max_pages}",
            detail={"page_count": pages, "max_pages": max_pages},
        )
    return PdfFacts(page_count=pages, size_bytes=size)


def _why_unopenable(data: bytes) -> InvalidDocument:
    """The error for a file PDFium would not open, found by asking pikepdf.

    PDFium's last-error code is kept per thread and some failures (a PDF with no pages)
    leave it unset, so its message can describe the file inspected before this one.
    """
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
    except pikepdf.PasswordError:
        return InvalidDocument(
            "the PDF is encrypted; send it without a password", code="encrypted_pdf"
        )
    except pikepdf.PdfError as exc:
        # qpdf names the stream it read ("<_io.BytesIO object at 0x...>: "); keep the reason.
        reason = re.sub(r"^.*?object at 0x[0-9a-f]+>:?\s*", "", str(exc))
        return InvalidDocument(
            "the PDF cannot be read", code="unreadable_pdf", detail={"reason": reason}
        )
    if pages == 0:
        return InvalidDocument("the PDF has no pages", code="no_pages")
    return InvalidDocument("the PDF cannot be read", code="unreadable_pdf")
