"""The first look at an upload: page count for a good PDF, a stable code for every bad one."""

from __future__ import annotations

import io

import pikepdf
import pytest

from postroom.documents.inspect import HEADER_SEARCH_BYTES, PdfFacts, inspect_pdf
from postroom.domain.errors import DocumentTooLarge, InvalidDocument
from tests.support.pdfs import make_pdf

MAX_PAGES = 50
MAX_BYTES = 10 * 1024 * 1024


def inspect(data: bytes, *, max_pages: int = MAX_PAGES, max_bytes: int = MAX_BYTES) -> PdfFacts:
    return inspect_pdf(io.BytesIO(data), max_pages=max_pages, max_bytes=max_bytes)


def invalid_code(data: bytes) -> str:
    with pytest.raises(InvalidDocument) as info:
        inspect(data)
    return info.value.code


def encrypted_pdf(*, user: str, owner: str = "owner-secret") -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(make_pdf(2))) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user=user, owner=owner))
    return out.getvalue()


def pdf_without_pages() -> bytes:
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize("pages", [1, 3, 12])
def test_a_valid_pdf_reports_its_pages_and_size(pages: int) -> None:
    data = make_pdf(pages)
    assert inspect(data) == PdfFacts(page_count=pages, size_bytes=len(data))


def test_the_stream_is_rewound_for_the_next_reader() -> None:
    # submit_letter hands the same stream to the blob store right after.
    stream = io.BytesIO(make_pdf(2))
    stream.seek(10)
    inspect_pdf(stream, max_pages=MAX_PAGES, max_bytes=MAX_BYTES)
    assert stream.tell() == 0


def test_an_empty_file_is_refused_as_empty() -> None:
    assert invalid_code(b"") == "empty_file"


@pytest.mark.parametrize(
    "data",
    [b"hello, this is a text file", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, b"PDF-1.7 no percent"],
    ids=["text", "png", "no-percent"],
)
def test_a_file_without_a_pdf_header_is_not_a_pdf(data: bytes) -> None:
    assert invalid_code(data) == "not_a_pdf"


def test_a_header_after_a_little_junk_is_accepted() -> None:
    data = b"junk" * 10 + make_pdf(2)
    assert inspect(data).page_count == 2


def test_a_header_beyond_the_first_kilobyte_is_not_a_pdf() -> None:
    data = b"j" * HEADER_SEARCH_BYTES + make_pdf(2)
    assert invalid_code(data) == "not_a_pdf"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n",
        b"%PDF-1.7\n" + bytes(range(256)) * 10,
        make_pdf(3)[:100],
        make_pdf(3)[: len(make_pdf(3)) // 2],
    ],
    ids=["header-only", "garbage-after-header", "first-100-bytes", "first-half"],
)
def test_garbage_or_a_cut_body_after_the_header_is_unreadable(data: bytes) -> None:
    assert invalid_code(data) == "unreadable_pdf"


def test_a_file_cut_just_before_its_xref_is_repaired_and_read() -> None:
    # PDFium rebuilds a lost cross-reference table when every object is still there.
    data = make_pdf(3)
    assert inspect(data[: data.rfind(b"xref")]).page_count == 3


def test_a_pdf_with_a_user_password_is_refused_as_encrypted() -> None:
    assert invalid_code(encrypted_pdf(user="open-sesame")) == "encrypted_pdf"


def test_a_pdf_with_only_an_owner_password_opens() -> None:
    # No password is needed to read it, so printing it is possible.
    assert inspect(encrypted_pdf(user="")).page_count == 2


def test_a_pdf_without_pages_is_refused_as_having_no_pages() -> None:
    assert invalid_code(pdf_without_pages()) == "no_pages"


def test_the_code_does_not_depend_on_the_file_inspected_before() -> None:
    # PDFium keeps its last error per thread; a file that fails without setting a new one
    # must not inherit "password" from an encrypted upload just before it.
    assert invalid_code(encrypted_pdf(user="open-sesame")) == "encrypted_pdf"
    assert invalid_code(pdf_without_pages()) == "no_pages"
    assert invalid_code(encrypted_pdf(user="open-sesame")) == "encrypted_pdf"
    assert invalid_code(b"%PDF-1.7\n" + b"\0" * 100) == "unreadable_pdf"


def test_a_file_over_the_byte_limit_is_too_large() -> None:
    data = make_pdf(2)
    with pytest.raises(DocumentTooLarge) as info:
        inspect(data, max_bytes=len(data) - 1)
    assert info.value.code == "document_too_large"
    assert info.value.detail == {"size_bytes": len(data), "max_bytes": len(data) - 1}


def test_a_file_exactly_at_the_byte_limit_is_accepted() -> None:
    data = make_pdf(2)
    assert inspect(data, max_bytes=len(data)).page_count == 2


def test_the_byte_limit_is_checked_before_the_header() -> None:
    # A huge non-PDF is refused for its size without reading it.
    with pytest.raises(DocumentTooLarge):
        inspect(b"x" * 2048, max_bytes=1024)


def test_a_pdf_over_the_page_limit_is_too_large() -> None:
    with pytest.raises(DocumentTooLarge) as info:
        inspect(make_pdf(4), max_pages=3)
    assert info.value.detail == {"page_count": 4, "max_pages": 3}


def test_a_pdf_exactly_at_the_page_limit_is_accepted() -> None:
    assert inspect(make_pdf(3), max_pages=3).page_count == 3


def test_too_large_is_not_an_invalid_document() -> None:
    # The API answers 413 for one and 422 for the other; neither may swallow the other.
    assert not issubclass(DocumentTooLarge, InvalidDocument)
